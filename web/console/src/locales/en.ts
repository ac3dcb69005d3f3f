export default {
  console: {
    title: "Office console",
    signInTitle: "Sign in to the office console",
    noAccess: "Your account has no console access (it needs a property, committee, mediator or admin role).",
    welcome: "Hello, {name}",
    roles: "Roles",
    nav: { home: "Home" },
    home: { intro: "Choose your work from the menu on the left." },
    notFound: "This page does not exist",
    backHome: "Back to home",
  },
  role: {
    resident: "Resident",
    courier: "Courier",
    property_staff: "Property staff",
    property_manager: "Property manager",
    committee: "Committee",
    mediator: "Mediator",
    admin: "Administrator",
  },
};
