export default {
  app: {
    signInTitle: "웨이린리에 오신 것을 환영합니다",
    largeText: "큰 글씨 모드",
    largeTextHint: "글씨는 크게, 버튼은 누르기 쉽게",
    tabs: { home: "홈", me: "내 정보" },
    home: { hello: "{name}님, 안녕하세요", intro: "심부름, 수리 신고, 이웃 소통을 모두 여기서." },
    me: { settings: "설정" },
    notFound: "페이지가 없습니다",
  },
};
