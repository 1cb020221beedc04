import Fluent
import Vapor

/// What the account pages share: password hashing and rules, the mailer, the clock.
struct AccountServices: Sendable {
    let hasher: PasswordHasher
    let rules: PasswordRules
    let clock: @Sendable () -> Date
}

private enum AccountServicesKey: StorageKey { typealias Value = AccountServices }

extension Application {
    var accounts: AccountServices {
        get {
            guard let services = storage[AccountServicesKey.self] else { fatalError("configure(_:) has not run") }
            return services
        }
        set { storage[AccountServicesKey.self] = newValue }
    }

    /// Loads the password list and prepares bcrypt at the configured cost.
    func configureAccounts(_ settings: Settings) throws {
        let clock = self.clock
        accounts = AccountServices(
            hasher: try PasswordHasher(cost: settings.security.bcryptCost),
            rules: try PasswordRules.load(from: settings.paths.settings.appendingPathComponent("common-passwords.txt")),
            clock: { [clock] in clock.now() })
    }
}

extension Request {
    var accounts: AccountServices { application.accounts }

    /// Signs `user` in under a fresh session id and CSRF token, in their language (P10).
    func signIn(_ user: User) throws {
        browserSession.signIn(userID: try user.requireID(), now: accounts.clock())
        browserSession["role"] = user.role.rawValue
        csrf.rotate()
        language = user.preferredLanguage
        storage[PendingLanguageCookieKey.self] = user.preferredLanguage
    }

    /// The page a person lands on after signing in.
    func home(for user: User) -> String {
        user.role.isStaff ? SiteURL.staff.path() : SiteURL.apply.path()
    }
}

enum PendingLanguageCookieKey: StorageKey { typealias Value = Language }

/// Validates a new password and its confirmation into `errors` (P10 rules).
func checkNewPassword(
    _ password: String?, confirmation: String?, email: String, names: [String],
    rules: PasswordRules, into errors: inout FormErrors
) {
    let password = password ?? ""
    if let problem = rules.problem(with: password, email: email, names: names) {
        errors.add("password", problem, [String(PasswordRules.minimumLength), String(PasswordRules.maximumLength)])
    } else if password != (confirmation ?? "") {
        errors.add("password_confirmation", "password.error.mismatch")
    }
}
