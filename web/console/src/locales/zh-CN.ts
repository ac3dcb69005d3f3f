export default {
  console: {
    title: "物业工作台",
    signInTitle: "登录物业工作台",
    noAccess: "您的账号没有工作台权限（需要物业、业委会、调解员或管理员角色）。",
    welcome: "{name}，您好",
    roles: "角色",
    nav: { home: "首页" },
    home: { intro: "从左侧菜单选择要处理的工作。" },
    notFound: "页面不存在",
    backHome: "返回首页",
  },
  role: {
    resident: "居民",
    courier: "跑腿员",
    property_staff: "物业人员",
    property_manager: "物业经理",
    committee: "业委会",
    mediator: "调解员",
    admin: "管理员",
  },
};
