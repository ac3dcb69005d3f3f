export default {
  common: {
    appName: "微邻里",
    signIn: "登录",
    signOut: "退出登录",
    phone: "手机号",
    password: "密码",
    phonePlaceholder: "请输入手机号",
    passwordPlaceholder: "请输入密码",
    language: "语言",
    loading: "加载中…",
    retry: "重试",
    empty: "暂无内容",
    notifications: "通知",
    offline: "网络已断开，恢复后将自动重试。",
  },
  problem: {
    networkTitle: "网络不可用",
    networkDetail: "无法连接到服务器，请检查网络后重试。",
    required: "请填写此项",
  },
};
