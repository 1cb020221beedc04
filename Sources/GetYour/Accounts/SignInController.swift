import Fluent
import Vapor

/// `/login` and `/logout` (P3, P10): the same answer for an unknown email and a wrong
/// password, throttling per account and per client address, session rotation, and only
/// local `next` paths.
struct SignInController {
    struct Form: Content {
        var email: String?
        var password: String?
        var next: String?
    }

    struct Page: Encodable {
        let layout: LayoutContext
        let summary: ErrorSummary
        let notice: String?
        let email: FormField
        let password: FormField
        let next: String?
    }

    /// The sign-in address that brings the person back to `next` afterwards.
    static func loginURL(next: String?, expired: Bool = false) -> String {
        var items: [URLQueryItem] = []
        if let next = ContactRules.safeLocalPath(next), next != SiteURL.login.path() { items.append(.init(name: "next", value: next)) }
        if expired { items.append(.init(name: "expired", value: "1")) }
        var components = URLComponents()
        components.path = SiteURL.login.path()
        components.queryItems = items.isEmpty ? nil : items
        return components.string ?? SiteURL.login.path()
    }

    func show(_ request: Request) async throws -> Response {
        // The plain page (no session, no `next`, no notice) is the same for every visitor.
        if PublicPageCache.qualifies(request) {
            return try await request.publicPage("accounts/login") {
                try await request.view.render("accounts/login", page(request, Form(next: nil), FormErrors(), notice: nil))
            }
        }
        let next = try? request.query.get(String.self, at: "next")
        if let userID = request.browserSession.userID, let user = try await User.find(userID, on: request.db(.primary)), !user.archived {
            return request.redirect(to: ContactRules.safeLocalPath(next) ?? request.home(for: user), redirectType: .normal)
        }
        let notice = ["expired", "signed_out", "reset", "password_set", "confirmed"].first {
            (try? request.query.get(String.self, at: $0)) == "1"
        }
        return try await render(request, Form(next: next), FormErrors(), notice: notice.map { "login.notice.\($0)" }, status: .ok)
    }

    func create(_ request: Request) async throws -> Response {
        let form = try request.content.decode(Form.self)
        let email = User.normalise(email: form.email ?? "")
        var errors = FormErrors()
        if email.isEmpty { errors.add("email", "login.error.email_required") }
        if (form.password ?? "").isEmpty { errors.add("password", "login.error.password_required") }
        guard errors.isEmpty else { return try await render(request, form, errors, status: .unprocessableEntity) }

        let limits = request.application.settings.limits
        let throttle = request.throttle
        // Per client address the limit only slows the address down (a city behind one proxy
        // or carrier NAT must not lock everyone out); per account, past the limit, sign-in
        // pauses until the oldest failure leaves the window and the password is not even
        // checked. Each attempt is recorded before it is counted, so parallel guesses cannot
        // slip past the limit. A password reset clears the account's count.
        let addressAttempt = try await throttle.attempt(.loginAddress, request.clientAddress, limits.loginFailures)
        if !addressAttempt.allowed {
            request.securityEvent(.throttled, reason: Throttle.Bucket.loginAddress.rawValue)
            if limits.loginAddressDelay > 0 { try await Task.sleep(for: .milliseconds(Int(limits.loginAddressDelay * 1000))) }
        }
        let accountAttempt = try await throttle.attempt(.loginAccount, email, limits.loginFailures)
        guard accountAttempt.allowed else {
            try await throttle.forget(addressAttempt.id)
            request.securityEvent(.throttled, reason: Throttle.Bucket.loginAccount.rawValue)
            errors.add("email", "login.error.throttled", ["\(Int(limits.loginFailures.window / 60))"])
            return try await render(request, form, errors, status: .tooManyRequests)
        }

        let user = try await User.find(email: email, on: request.db(.primary))
        let verified: Bool
        if let user {
            verified = try await request.accounts.hasher.verify(form.password ?? "", against: user.passwordHash)
        } else {
            await request.accounts.hasher.verifyNothing(form.password ?? "")
            verified = false
        }
        guard let user, verified else {
            request.securityEvent(.signInFailed, reason: user == nil ? "unknown_account" : "wrong_password", userID: user?.id)
            errors.add("email", "login.error.wrong_credentials")
            return try await render(request, form, errors, status: .unprocessableEntity)
        }
        // The password was right: these attempts were not failures.
        try await throttle.forget(addressAttempt.id)
        try await throttle.clear(.loginAccount, email)
        guard !user.archived else {
            let contact = request.application.settings.contact
            errors.add("email", "login.error.archived", [contact.email, contact.phone])
            return try await render(request, form, errors, status: .forbidden)
        }
        guard user.emailConfirmedAt != nil else {
            try await request.db(.primary).writeTransaction { db in try await SignUpController.sendConfirmation(to: user, request, on: db) }
            errors.add("email", "login.error.unconfirmed")
            return try await render(request, form, errors, status: .forbidden)
        }
        return try await TwoFactorController.signIn(user, next: ContactRules.safeLocalPath(form.next), on: request)
    }

    /// POST only: a link or prefetch can never sign anyone out (P10).
    func destroy(_ request: Request) async throws -> Response {
        request.browserSession.destroy()
        request.csrf.rotate()
        return request.redirect(to: SiteURL.login.path() + "?signed_out=1", redirectType: .normal)
    }

    func render(_ request: Request, _ form: Form, _ errors: FormErrors, notice: String? = nil, status: HTTPResponseStatus) async throws
        -> Response
    {
        try await request.view.render("accounts/login", page(request, form, errors, notice: notice)).response(status, for: request)
    }

    private func page(_ request: Request, _ form: Form, _ errors: FormErrors, notice: String?) -> Page {
        let messages = errors.resolved(request)
        return Page(
            layout: request.layout(titleKey: "login.title", hasErrors: !errors.isEmpty),
            summary: ErrorSummary(request, errors),
            notice: notice,
            email: .input("email", label: "login.email", type: "email", autocomplete: "username", value: form.email, errors: messages),
            password: .input("password", label: "login.password", type: "password", autocomplete: "current-password", errors: messages),
            next: ContactRules.safeLocalPath(form.next))
    }
}
