export default {
  app: {
    signInTitle: "欢迎来到微邻里",
    largeText: "大字模式",
    largeTextHint: "字更大，按钮更好点",
    tabs: { home: "首页", me: "我的" },
    home: { hello: "{name}，您好", intro: "下单跑腿、报修和邻里议事，都在这里。" },
    me: { settings: "设置" },
    notFound: "页面不存在",
  },
};
