export default {
  console: {
    title: "관리 콘솔",
    signInTitle: "관리 콘솔 로그인",
    noAccess: "이 계정에는 콘솔 권한이 없습니다(관리사무소, 입주자대표회의, 조정위원 또는 관리자 역할이 필요합니다).",
    welcome: "{name}님, 안녕하세요",
    roles: "역할",
    nav: { home: "홈" },
    home: { intro: "왼쪽 메뉴에서 처리할 업무를 선택하세요." },
    notFound: "페이지가 없습니다",
    backHome: "홈으로",
  },
  role: {
    resident: "주민",
    courier: "배달원",
    property_staff: "관리사무소 직원",
    property_manager: "관리사무소장",
    committee: "입주자대표회의",
    mediator: "조정위원",
    admin: "관리자",
  },
};
