export default {
  app: {
    signInTitle: "Welcome to WeiLinli",
    largeText: "Large text",
    largeTextHint: "Bigger words, easier buttons",
    tabs: { home: "Home", me: "Me" },
    home: { hello: "Hello, {name}", intro: "Errands, repairs and neighbourhood matters, all here." },
    me: { settings: "Settings" },
    notFound: "This page does not exist",
  },
};
