import Fluent
import Vapor

/// `/password-reset` (P3 step 13): the same answer whether or not an account exists; a
/// single-use link valid for one hour, built from the configured public address. Choosing
/// the new password signs the account out everywhere. Staff use the same page to set their
/// first password from the link `getyour create-staff` prints.
struct PasswordResetController {
    struct RequestForm: Content {
        var email: String?
    }

    struct ChooseForm: Content {
        var password: String?
        var password_confirmation: String?
    }

    struct RequestPage: Encodable {
        let layout: LayoutContext
        let summary: ErrorSummary
        let sent: Bool
        let email: FormField
    }

    struct ChoosePage: Encodable {
        let layout: LayoutContext
        let summary: ErrorSummary
        let valid: Bool
        let isFirstPassword: Bool
        let token: String
        let fields: [FormField]
    }

    static let purposes: [AccountToken.Purpose] = [.passwordReset, .setPassword]

    func show(_ request: Request) async throws -> Response {
        let sent = (try? request.query.get(String.self, at: "sent")) == "1"
        return try await renderRequest(request, RequestForm(), FormErrors(), sent: sent, status: .ok)
    }

    func create(_ request: Request) async throws -> Response {
        let form = try request.content.decode(RequestForm.self)
        let email = User.normalise(email: form.email ?? "")
        var errors = FormErrors()
        if email.isEmpty {
            errors.add("email", "reset.error.email_required")
        } else if !ContactRules.isEmail(email) {
            errors.add("email", "reset.error.email_invalid")
        }
        guard errors.isEmpty else { return try await renderRequest(request, form, errors, sent: false, status: .unprocessableEntity) }
        let limits = request.application.settings.limits
        try await request.limitPerAddress(.resetAddress, limits.passwordResets)
        if let user = try await User.find(email: email, on: request.db(.primary)), !user.archived {
            // Per account too, so nobody can flood a person's inbox from many addresses; past
            // the limit nothing is sent, and the answer stays the same.
            if try await request.throttle.attempt(.resetAccount, email, limits.passwordResetsPerAccount).allowed {
                let now = request.accounts.clock()
                try await request.db(.primary).writeTransaction { db in
                    let secret = try await AccountToken.issue(.passwordReset, for: try user.requireID(), now: now, on: db)
                    let link = request.application.link(to: .passwordResetToken, secret)
                    try await request.application.outbox(on: db).enqueue(
                        .passwordReset, to: user, data: MessageData(name: user.firstName, link: link))
                }
            } else {
                request.securityEvent(.throttled, reason: Throttle.Bucket.resetAccount.rawValue, userID: user.id)
            }
        }
        return request.redirect(to: SiteURL.passwordReset.path() + "?sent=1", redirectType: .normal)
    }

    func showChoose(_ request: Request) async throws -> Response {
        let secret = request.parameters.get("token") ?? ""
        let token = try await AccountToken.find(secret, purposes: Self.purposes, now: request.accounts.clock(), on: request.db(.primary))
        return try await renderChoose(request, token: token, secret: secret, ChooseForm(), FormErrors(), status: token == nil ? .gone : .ok)
    }

    func choose(_ request: Request) async throws -> Response {
        let secret = request.parameters.get("token") ?? ""
        let db = request.db(.primary)
        guard let token = try await AccountToken.find(secret, purposes: Self.purposes, now: request.accounts.clock(), on: db) else {
            return try await renderChoose(request, token: nil, secret: secret, ChooseForm(), FormErrors(), status: .gone)
        }
        let form = try request.content.decode(ChooseForm.self)
        let user = token.user
        var errors = FormErrors()
        checkNewPassword(
            form.password, confirmation: form.password_confirmation, email: user.email,
            names: [user.firstName, user.lastName], rules: request.accounts.rules, into: &errors)
        guard errors.isEmpty else {
            return try await renderChoose(request, token: token, secret: secret, form, errors, status: .unprocessableEntity)
        }
        let hash = try await request.accounts.hasher.hash(form.password ?? "")
        let now = request.accounts.clock()
        try await db.writeTransaction { db in
            user.passwordHash = hash
            // The link came to this address, so the address is confirmed too.
            if user.emailConfirmedAt == nil { user.emailConfirmedAt = now }
            try await user.update(on: db)
            token.usedAt = now
            try await token.update(on: db)
            // Other reset links still in the inbox stop working with the new password.
            try await AccountToken.query(on: db).filter(\.$user.$id == user.requireID()).filter(\.$usedAt == nil)
                .filter(\.$purpose ~~ [.passwordReset, .setPassword]).set(\.$usedAt, to: now).update()
            try await StoredSession.deleteAll(for: try user.requireID(), on: db)
        }
        // Whoever was locked out by failed attempts can sign in again at once.
        try await request.throttle.clear(.loginAccount, user.email)
        request.browserSession.destroy()
        let flag = token.purpose == .setPassword ? "password_set" : "reset"
        return request.redirect(to: SiteURL.login.path() + "?\(flag)=1", redirectType: .normal)
    }

    private func renderRequest(_ request: Request, _ form: RequestForm, _ errors: FormErrors, sent: Bool, status: HTTPResponseStatus)
        async throws -> Response
    {
        let messages = errors.resolved(request)
        let page = RequestPage(
            layout: request.layout(titleKey: "reset.title", hasErrors: !errors.isEmpty),
            summary: ErrorSummary(request, errors), sent: sent,
            email: .input(
                "email", label: "reset.email", hint: "reset.email_hint", type: "email", autocomplete: "email", value: form.email,
                errors: messages))
        return try await request.view.render("accounts/reset-request", page).response(status, for: request)
    }

    private func renderChoose(
        _ request: Request, token: AccountToken?, secret: String, _ form: ChooseForm, _ errors: FormErrors, status: HTTPResponseStatus
    ) async throws -> Response {
        let messages = errors.resolved(request)
        let page = ChoosePage(
            layout: request.layout(titleKey: "reset.choose_title", hasErrors: !errors.isEmpty),
            summary: ErrorSummary(request, errors),
            valid: token != nil,
            isFirstPassword: token?.purpose == .setPassword,
            token: token == nil ? "" : secret,
            fields: [
                .input(
                    "password", label: "reset.new_password", hint: "password.hint", type: "password", autocomplete: "new-password",
                    errors: messages),
                .input(
                    "password_confirmation", label: "signup.password_confirmation", type: "password", autocomplete: "new-password",
                    errors: messages),
            ])
        return try await request.view.render("accounts/reset-choose", page).response(status, for: request)
    }
}
