export default {
  common: {
    appName: "웨이린리",
    signIn: "로그인",
    signOut: "로그아웃",
    phone: "휴대폰 번호",
    password: "비밀번호",
    phonePlaceholder: "휴대폰 번호를 입력하세요",
    passwordPlaceholder: "비밀번호를 입력하세요",
    language: "언어",
    loading: "불러오는 중…",
    retry: "다시 시도",
    empty: "아직 내용이 없습니다",
    notifications: "알림",
    offline: "네트워크 연결이 끊겼습니다. 연결되면 자동으로 다시 시도합니다.",
  },
  problem: {
    networkTitle: "네트워크 없음",
    networkDetail: "서버에 연결할 수 없습니다. 네트워크를 확인한 후 다시 시도하세요.",
    required: "이 항목을 입력하세요",
  },
};
