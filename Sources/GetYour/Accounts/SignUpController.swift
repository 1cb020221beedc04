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

    func create(_ request: Request) async throws -> Response {
        let form = try request.content.decode(Form.self)
        var errors = validate(form, rules: request.accounts.rules)
        let email = User.normalise(email: form.email ?? "")
        if errors.isEmpty, try await User.find(email: email, on: request.db(.primary)) != nil {
            errors.add("email", "signup.error.email_taken")
        }
        guard errors.isEmpty else { return try await render(request, form, errors, status: .unprocessableEntity) }
        if try await request.throttle.isExceeded(.signupAddress, request.clientAddress, request.application.settings.limits.signups) {
            throw Abort(.tooManyRequests)
        }
        let user = User(
            email: email,
            passwordHash: try await request.accounts.hasher.hash(form.password ?? ""),
            firstName: ContactRules.name(form.first_name ?? "") ?? "",
            lastName: ContactRules.name(form.last_name ?? "") ?? "",
            phone: ContactRules.usPhone(form.phone ?? "") ?? "",
            language: Language(rawValue: form.language ?? "") ?? .en,
            role: .resident)
        do {
            try await user.create(on: request.db(.primary))
        } catch let error as any DatabaseError where error.isConstraintFailure {
            // Someone registered the same email between the check and the insert.
            errors.add("email", "signup.error.email_taken")
            return try await render(request, form, errors, status: .unprocessableEntity)
        }
        try await request.throttle.record(.signupAddress, request.clientAddress)
        try request.signIn(user)
        return request.redirect(to: SiteURL.apply.path(), redirectType: .normal)
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
