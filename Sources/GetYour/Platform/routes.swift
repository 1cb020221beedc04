import Vapor

/// Every route of the app, grouped by who uses it (style 5).
func routes(_ app: Application) throws {
    // Public
    let landing = LandingController()
    app.on(.GET, .home, use: landing.show)

    // Accounts (P3 steps 3, 12, 13)
    let signUp = SignUpController()
    app.on(.GET, .signup, use: signUp.show)
    app.on(.POST, .signup, use: signUp.create)
    let signIn = SignInController()
    app.on(.GET, .login, use: signIn.show)
    app.on(.POST, .login, use: signIn.create)
    app.on(.POST, .logout, use: signIn.destroy)
    let reset = PasswordResetController()
    app.on(.GET, .passwordReset, use: reset.show)
    app.on(.POST, .passwordReset, use: reset.create)
    app.on(.GET, .passwordResetToken, use: reset.showChoose)
    app.on(.POST, .passwordResetToken, use: reset.choose)
    let settings = SettingsController()
    app.on(.GET, .settingsEmailConfirm, use: settings.confirmEmail)
    let signedIn = app.grouped(RequireSignIn.anyone)
    signedIn.on(.GET, .settings, use: settings.show)
    signedIn.on(.POST, .settingsProfile, use: settings.updateProfile)
    signedIn.on(.POST, .settingsPassword, use: settings.updatePassword)
    signedIn.on(.POST, .settingsEmail, use: settings.requestEmailChange)

    // Resident application (P3 steps 4–10)
    let residents = app.grouped(RequireSignIn.residents)
    let apply = ApplyController()
    residents.on(.GET, .apply, use: apply.show)

    // Staff (P7)
    let staff = app.grouped(RequireSignIn.staff)
    staff.on(.GET, .staff, use: StaffHomeController().show)

    // Health (monitoring)
    let health = HealthController(recorder: app.analytics)
    app.on(.GET, .healthz, use: health.show)
}
