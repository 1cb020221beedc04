import Fluent
import Vapor

/// `/signup` (P3 step 3): creates a resident account and signs the person in.
struct SignUpController {
    struct Form: Content {
        var first_name: String?
        var last_name: String?
        var email: String?
        var phone: String?
        var password: String?
        var password_confirmation: String?
        var language: String?
        var privacy_ack: String?
    }

    struct Page: Encodable {
        let layout: LayoutContext
        let summary: ErrorSummary
        let fields: [FormField]
        let language: FormField
        let privacyAck: FormField
    }

    func show(_ request: Request) async throws -> Response {
        if request.browserSession.userID != nil { return request.redirect(to: SiteURL.apply.path(), redirectType: .normal) }
        return try await render(request, Form(language: request.language.rawValue), FormErrors(), status: .ok)
    }

    /// P10: the answer never tells whether the email already has an account. Both cases
    /// do the same work (a bcrypt hash, one email) and answer with the same redirect to
    /// "check your email": a new account gets a confirmation link, an existing owner gets a
    /// note that someone tried to sign up with their address.
    func create(_ request: Request) async throws -> Response {
        let form = try request.content.decode(Form.self)
        let errors = validate(form, rules: request.accounts.rules)
        guard errors.isEmpty else { return try await render(request, form, errors, status: .unprocessableEntity) }
        try await request.limitPerAddress(.signupAddress, request.application.settings.limits.signups)
        let email = User.normalise(email: form.email ?? "")
        let hash = try await request.accounts.hasher.hash(form.password ?? "")
        let db = request.db(.primary)
        if let existing = try await User.find(email: email, on: db) {
            try await Self.tellExistingOwner(existing, request)
            // The session changes the same way as for a new account (no account is named).
            request.browserSession[Self.signedUpKey] = UUID().uuidString
        } else {
            let user = User(
                email: email, passwordHash: hash,
                firstName: ContactRules.name(form.first_name ?? "") ?? "",
                lastName: ContactRules.name(form.last_name ?? "") ?? "",
                phone: ContactRules.usPhone(form.phone ?? "") ?? "",
                language: Language(rawValue: form.language ?? "") ?? .en,
                role: .resident)
            do {
                try await db.writeTransaction { db in
                    try await user.create(on: db)
                    try await Self.sendConfirmation(to: user, request, on: db)
                }
                request.browserSession[Self.signedUpKey] = user.id?.uuidString
            } catch let error as any DatabaseError where error.isConstraintFailure {
                // Someone registered the same email a moment ago: same answer as above.
                if let existing = try await User.find(email: email, on: db) { try await Self.tellExistingOwner(existing, request) }
            }
        }
        return request.redirect(to: SiteURL.signupCheckEmail.path(), redirectType: .normal)
    }

    /// `/signup/check-email`: where both kinds of sign-up land.
    func checkEmail(_ request: Request) async throws -> View {
        try await request.view.render(
            "accounts/message",
            MessagePage(
                layout: request.layout(titleKey: "signup.check_title"), headingKey: "signup.check_title", bodyKey: "signup.check_body"))
    }

    /// The link from the confirmation email opens a page with a button: link scanners that
    /// fetch every URL in an email never confirm anything (only the POST does).
    func showConfirm(_ request: Request) async throws -> Response {
        let secret = request.parameters.get("token") ?? ""
        let token = try await AccountToken.find(secret, purposes: [.signupConfirm], now: request.accounts.clock(), on: request.db(.primary))
        let page = ConfirmPage(
            layout: request.layout(titleKey: "signup.confirm_title"), valid: token != nil, action: SiteURL.signupConfirm.path(secret))
        return try await request.view.render("accounts/confirm-email", page).response(token == nil ? .gone : .ok, for: request)
    }

    /// Confirms the address. No link in a message signs anyone in (P8): the browser that
    /// signed up (its session says so) continues straight into the application; any other
    /// goes to the sign-in page.
    func confirm(_ request: Request) async throws -> Response {
        let secret = request.parameters.get("token") ?? ""
        let db = request.db(.primary)
        guard let token = try await AccountToken.find(secret, purposes: [.signupConfirm], now: request.accounts.clock(), on: db) else {
            return try await showConfirm(request)
        }
        let user = token.user, now = request.accounts.clock()
        user.emailConfirmedAt = user.emailConfirmedAt ?? now
        token.usedAt = now
        try await db.writeTransaction { db in
            try await user.update(on: db)
            try await token.update(on: db)
        }
        guard !user.archived, request.browserSession[Self.signedUpKey] == user.id?.uuidString else {
            return request.redirect(to: SiteURL.login.path() + "?confirmed=1", redirectType: .normal)
        }
        try request.signIn(user)
        return request.redirect(to: request.home(for: user), redirectType: .normal)
    }

    /// The session key that remembers which account this browser just created.
    static let signedUpKey = "signed_up"

    struct ConfirmPage: Encodable {
        let layout: LayoutContext
        let valid: Bool
        let action: String
    }

    /// Queues (again) the link that confirms a new account's email address.
    static func sendConfirmation(to user: User, _ request: Request, on db: any Database) async throws {
        let secret = try await AccountToken.issue(.signupConfirm, for: try user.requireID(), now: request.accounts.clock(), on: db)
        try await request.application.outbox(on: db).enqueue(
            .signupConfirm, to: user, data: MessageData(name: user.firstName, link: request.application.link(to: .signupConfirm, secret)))
    }

    /// Tells an account's owner that someone tried to sign up with their address.
    static func tellExistingOwner(_ user: User, _ request: Request) async throws {
        let app = request.application
        // A write transaction like a new account's, so both answers take the same path.
        try await request.db(.primary).writeTransaction { db in
            try await app.outbox(on: db).enqueue(
                .signupExisting, to: user,
                data: MessageData(name: user.firstName, link: app.link(to: .login), otherLink: app.link(to: .passwordReset)))
        }
    }

    func validate(_ form: Form, rules: PasswordRules) -> FormErrors {
        var errors = FormErrors()
        let firstName = ContactRules.name(form.first_name ?? ""), lastName = ContactRules.name(form.last_name ?? "")
        ContactRules.checkNames(
            first: form.first_name, last: form.last_name, firstKey: "signup.error.first_name_required",
            lastKey: "signup.error.last_name_required", into: &errors)
        let email = User.normalise(email: form.email ?? "")
        if email.isEmpty {
            errors.add("email", "signup.error.email_required")
        } else if !ContactRules.isEmail(email) {
            errors.add("email", "signup.error.email_invalid")
        }
        let phone = (form.phone ?? "").trimmingCharacters(in: .whitespaces)
        if phone.isEmpty {
            errors.add("phone", "signup.error.phone_required")
        } else if ContactRules.usPhone(phone) == nil {
            errors.add("phone", "signup.error.phone_invalid")
        }
        checkNewPassword(
            form.password, confirmation: form.password_confirmation, email: email,
            names: [firstName, lastName].compactMap { $0 }, rules: rules, into: &errors)
        if Language(rawValue: form.language ?? "") == nil { errors.add("language", "signup.error.language_required") }
        if form.privacy_ack != "yes" { errors.add("privacy_ack", "signup.error.privacy_required") }
        return errors
    }

    /// The form with what the person typed (never the passwords) and any errors.
    func render(_ request: Request, _ form: Form, _ errors: FormErrors, status: HTTPResponseStatus) async throws -> Response {
        let messages = errors.resolved(request)
        let page = Page(
            layout: request.layout(titleKey: "signup.title", hasErrors: !errors.isEmpty),
            summary: ErrorSummary(request, errors),
            fields: [
                .input("first_name", label: "signup.first_name", autocomplete: "given-name", value: form.first_name, errors: messages),
                .input("last_name", label: "signup.last_name", autocomplete: "family-name", value: form.last_name, errors: messages),
                .input(
                    "email", label: "signup.email", hint: "signup.email_hint", type: "email", autocomplete: "email", value: form.email,
                    errors: messages),
                .input(
                    "phone", label: "signup.phone", hint: "signup.phone_hint", type: "tel", autocomplete: "tel-national", value: form.phone,
                    errors: messages),
                .input(
                    "password", label: "signup.password", hint: "password.hint", type: "password", autocomplete: "new-password",
                    errors: messages),
                .input(
                    "password_confirmation", label: "signup.password_confirmation", type: "password", autocomplete: "new-password",
                    errors: messages),
            ],
            language: .choice(
                "language", label: "signup.language", options: [("en", "language.en"), ("es", "language.es")],
                selected: [form.language ?? ""], errors: messages),
            privacyAck: .choice(
                "privacy_ack", label: "signup.privacy_legend", hint: "signup.privacy_text",
                options: [("yes", "signup.privacy_ack")], selected: [form.privacy_ack ?? ""], errors: messages))
        return try await request.view.render("accounts/signup", page).response(status, for: request)
    }
}
