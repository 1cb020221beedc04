import Fluent
import Vapor

/// `/settings` (P3 step 12): name, phone and language; password (current one required,
/// other sessions signed out); email (current password required, confirmed by a link sent
/// to the new address before it takes effect); for residents, download my data and delete
/// my account (`DataRightsController`).
struct SettingsController {
    struct ProfileForm: Content {
        var first_name: String?
        var last_name: String?
        var phone: String?
        var language: String?
        /// `yes` or `no`: whether news about the application also comes by text message.
        var texts: String?
    }

    struct PasswordForm: Content {
        var current_password: String?
        var password: String?
        var password_confirmation: String?
    }

    struct EmailForm: Content {
        var new_email: String?
        /// Named apart from the password form's `current_password`: both forms share a page.
        var email_change_password: String?
    }

    struct Page: Encodable {
        let layout: LayoutContext
        let summary: ErrorSummary
        let notice: String?
        let email: String
        let pendingEmail: String?
        let profile: [FormField]
        let language: FormField
        /// Shown only when the deployment sends text messages.
        let texts: FormField?
        let password: [FormField]
        let emailChange: [FormField]
        /// Residents only: download my data and delete my account (P10).
        let dataRights: Bool
        let deletion: [FormField]
        let confirmDeletion: FormField
        /// Residents with an application: where letters go.
        let mailing: MailingSection?
        /// Residents: the named contact, if any (name and relationship), and the link to change it.
        let namedContact: NamedContactSummary?
    }

    struct NamedContactSummary: Encodable {
        let name: String?
        let relationship: String?
        let receivesKey: String?
    }

    struct MailingSection: Encodable {
        let current: [String]
        let sameAsHome: Bool
        let same: FormField
        let fields: [FormField]
        /// The verifier's correction, to accept or decline.
        let suggestion: [String]?
        let choice: FormField?
    }

    /// Which of the three forms a page shows errors for, with what was typed.
    enum Submitted {
        case none
        case profile(ProfileForm)
        case password
        case email(EmailForm)
        case delete
        case mailing(MailingAddressController.Pending)
    }

    func show(_ request: Request) async throws -> Response {
        let saved = try? request.query.get(String.self, at: "saved")
        let notice =
            ["profile", "password", "email_sent", "email_changed", "mailing", "contact", "contact_removed"].contains(saved ?? "")
            ? "settings.saved.\(saved!)" : nil
        return try await render(request, .none, FormErrors(), notice: notice, status: .ok)
    }

    func updateProfile(_ request: Request) async throws -> Response {
        let user = try request.currentUser
        let form = try request.content.decode(ProfileForm.self)
        var errors = FormErrors()
        let first = ContactRules.name(form.first_name ?? ""), last = ContactRules.name(form.last_name ?? "")
        ContactRules.checkNames(
            first: form.first_name, last: form.last_name, firstKey: "signup.error.first_name_required",
            lastKey: "signup.error.last_name_required", into: &errors)
        let phone = ContactRules.usPhone(form.phone ?? "")
        if (form.phone ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            errors.add("phone", "signup.error.phone_required")
        } else if phone == nil {
            errors.add("phone", "signup.error.phone_invalid")
        }
        let language = Language(rawValue: form.language ?? "")
        if language == nil { errors.add("language", "signup.error.language_required") }
        let textsOffered = request.application.texter != nil
        // Absent (an older form, or a script): the choice stays as it was.
        if textsOffered, let texts = form.texts, !["yes", "no"].contains(texts) { errors.add("texts", "settings.error.texts_required") }
        guard errors.isEmpty, let first, let last, let phone, let language else {
            return try await render(request, .profile(form), errors, status: .unprocessableEntity)
        }
        user.firstName = first
        user.lastName = last
        user.phone = phone
        user.language = language.rawValue
        if textsOffered, let texts = form.texts { user.smsOptOut = texts == "no" }
        try await user.update(on: request.db(.primary))
        request.storage[PendingLanguageCookieKey.self] = language
        return request.redirect(to: SiteURL.settings.path() + "?saved=profile", redirectType: .normal)
    }

    func updatePassword(_ request: Request) async throws -> Response {
        let user = try request.currentUser
        let form = try request.content.decode(PasswordForm.self)
        var errors = FormErrors()
        if let problem = try await Self.checkCurrentPassword(form.current_password, of: user, on: request) {
            errors.add("current_password", problem, ["\(Int(request.application.settings.limits.loginFailures.window / 60))"])
        }
        checkNewPassword(
            form.password, confirmation: form.password_confirmation, email: user.email,
            names: [user.firstName, user.lastName], rules: request.accounts.rules, into: &errors)
        guard errors.isEmpty else { return try await render(request, .password, errors, status: .unprocessableEntity) }
        user.passwordHash = try await request.accounts.hasher.hash(form.password ?? "")
        let keep = request.browserSession.tokenHash, notice = Self.notice(user, request)
        try await request.db(.primary).writeTransaction { db in
            try await user.update(on: db)
            // Every other browser is signed out; this one continues under a fresh session id.
            try await StoredSession.deleteAll(for: try user.requireID(), except: keep, on: db)
            try await request.application.outbox(on: db).enqueue(.passwordChanged, to: user, data: notice)
        }
        try request.signIn(user)
        return request.redirect(to: SiteURL.settings.path() + "?saved=password", redirectType: .normal)
    }

    func requestEmailChange(_ request: Request) async throws -> Response {
        let user = try request.currentUser
        let form = try request.content.decode(EmailForm.self)
        var errors = FormErrors()
        let newEmail = User.normalise(email: form.new_email ?? "")
        if newEmail.isEmpty {
            errors.add("new_email", "signup.error.email_required")
        } else if !ContactRules.isEmail(newEmail) {
            errors.add("new_email", "signup.error.email_invalid")
        } else if newEmail == user.email {
            errors.add("new_email", "settings.error.same_email")
        }
        // The password first: only the account's owner may learn that an address is taken.
        if let problem = try await Self.checkCurrentPassword(form.email_change_password, of: user, on: request) {
            errors.add("email_change_password", problem, ["\(Int(request.application.settings.limits.loginFailures.window / 60))"])
        } else if errors.isEmpty, try await User.find(email: newEmail, on: request.db(.primary)) != nil {
            errors.add("new_email", "signup.error.email_taken")
        }
        guard errors.isEmpty else { return try await render(request, .email(form), errors, status: .unprocessableEntity) }
        let now = request.accounts.clock(), notice = Self.notice(user, request)
        try await request.db(.primary).writeTransaction { db in
            let secret = try await AccountToken.issue(.emailChange, for: try user.requireID(), newEmail: newEmail, now: now, on: db)
            user.pendingEmail = newEmail
            try await user.update(on: db)
            let outbox = request.application.outbox(on: db)
            let link = request.application.link(to: .settingsEmailConfirm, secret)
            try await outbox.enqueueEmail(
                .emailChange, to: newEmail, language: user.preferredLanguage, user: user.id,
                data: MessageData(name: user.firstName, link: link))
            try await outbox.enqueue(.emailChangeNotice, to: user, data: notice)
        }
        return request.redirect(to: SiteURL.settings.path() + "?saved=email_sent", redirectType: .normal)
    }

    /// Checks the current password, throttled per account like sign-in: nil when right, else
    /// the message key to show.
    static func checkCurrentPassword(_ password: String?, of user: User, on request: Request) async throws -> String? {
        let throttle = request.throttle, key = try user.requireID().uuidString
        let attempt = try await throttle.attempt(.passwordCheck, key, request.application.settings.limits.loginFailures)
        guard attempt.allowed else {
            request.securityEvent(.throttled, reason: Throttle.Bucket.passwordCheck.rawValue, userID: user.id)
            return "settings.error.password_throttled"
        }
        guard try await request.accounts.hasher.verify(password ?? "", against: user.passwordHash) else {
            request.securityEvent(.passwordCheckFailed, reason: "wrong_password", userID: user.id)
            return "settings.error.current_password"
        }
        try await throttle.forget(attempt.id)
        return nil
    }

    /// What a notice that something changed on the account says: whose account, and where
    /// to choose a new password if it was not them.
    static func notice(_ user: User, _ request: Request) -> MessageData {
        MessageData(name: user.firstName, link: request.application.link(to: .passwordReset))
    }

    /// The link from the email opens a page with a button; only the POST changes anything,
    /// so a mail scanner following links cannot confirm an address.
    func showConfirmEmail(_ request: Request) async throws -> Response {
        let secret = request.parameters.get("token") ?? ""
        let token = try await AccountToken.find(secret, purposes: [.emailChange], now: request.accounts.clock(), on: request.db(.primary))
        let page = SignUpController.ConfirmPage(
            layout: request.layout(titleKey: "settings.email_confirm_title"), valid: token != nil,
            action: SiteURL.settingsEmailConfirm.path(secret))
        return try await request.view.render("accounts/confirm-email", page).response(token == nil ? .gone : .ok, for: request)
    }

    /// The new address takes effect if nobody took it meanwhile; the old one is told.
    func confirmEmail(_ request: Request) async throws -> Response {
        let db = request.db(.primary)
        guard
            let token = try await AccountToken.find(
                request.parameters.get("token") ?? "", purposes: [.emailChange], now: request.accounts.clock(), on: db),
            let newEmail = token.newEmail, try await User.find(email: newEmail, on: db) == nil
        else {
            let page = MessagePage(
                layout: request.layout(titleKey: "settings.email_invalid_title"), headingKey: "settings.email_invalid_title",
                bodyKey: "settings.email_invalid_body")
            return try await request.view.render("accounts/message", page).response(.gone, for: request)
        }
        let user = token.user
        let oldEmail = user.email
        user.email = newEmail
        user.pendingEmail = nil
        token.usedAt = request.accounts.clock()
        let notice = Self.notice(user, request)
        try await db.writeTransaction { db in
            try await user.update(on: db)
            try await token.update(on: db)
            try await request.application.outbox(on: db).enqueueEmail(
                .emailChanged, to: oldEmail, language: user.preferredLanguage, user: user.id, data: notice)
        }
        let target = request.browserSession.userID == nil ? SiteURL.login.path() : SiteURL.settings.path() + "?saved=email_changed"
        return request.redirect(to: target, redirectType: .normal)
    }

    func render(_ request: Request, _ submitted: Submitted, _ errors: FormErrors, notice: String? = nil, status: HTTPResponseStatus)
        async throws -> Response
    {
        let user = try request.currentUser
        let messages = errors.resolved(request)
        var profile = ProfileForm(
            first_name: user.firstName, last_name: user.lastName,
            phone: ContactRules.displayPhone(user.phone), language: user.language, texts: user.smsOptOut ? "no" : "yes")
        if case .profile(let typed) = submitted { profile = typed }
        var email = EmailForm()
        if case .email(let typed) = submitted { email.new_email = typed.new_email }
        let mailing = try await mailingSection(request, submitted, messages)
        let page = Page(
            layout: request.layout(titleKey: "settings.title", hasErrors: !errors.isEmpty),
            summary: ErrorSummary(request, errors),
            notice: notice,
            email: user.email,
            pendingEmail: user.pendingEmail,
            profile: [
                .input("first_name", label: "signup.first_name", autocomplete: "given-name", value: profile.first_name, errors: messages),
                .input("last_name", label: "signup.last_name", autocomplete: "family-name", value: profile.last_name, errors: messages),
                .input(
                    "phone", label: "signup.phone", hint: "signup.phone_hint", type: "tel", autocomplete: "tel-national",
                    value: profile.phone, errors: messages),
            ],
            language: .choice(
                "language", label: "signup.language", options: [("en", "language.en"), ("es", "language.es")],
                selected: [profile.language ?? ""], errors: messages),
            texts: request.application.texter == nil
                ? nil
                : .choice(
                    "texts", label: "settings.texts", hint: "settings.texts_hint",
                    options: [("yes", "settings.texts_yes"), ("no", "settings.texts_no")], selected: [profile.texts ?? ""],
                    errors: messages),
            password: [
                .input(
                    "current_password", label: "settings.current_password", type: "password", autocomplete: "current-password",
                    errors: messages),
                .input(
                    "password", label: "reset.new_password", hint: "password.hint", type: "password", autocomplete: "new-password",
                    errors: messages),
                .input(
                    "password_confirmation", label: "signup.password_confirmation", type: "password", autocomplete: "new-password",
                    errors: messages),
            ],
            emailChange: [
                .input(
                    "new_email", label: "settings.new_email", type: "email", autocomplete: "email", value: email.new_email, errors: messages
                ),
                .input(
                    "email_change_password", label: "settings.current_password", type: "password", autocomplete: "current-password",
                    errors: messages),
            ],
            dataRights: user.role == .resident,
            deletion: [
                .input("password", label: "settings.delete_password", type: "password", autocomplete: "current-password", errors: messages)
            ],
            confirmDeletion: .choice(
                "confirm", label: "settings.delete_heading", options: [("yes", "settings.delete_confirm")], selected: [], errors: messages),
            mailing: mailing,
            namedContact: try await namedContactSummary(request))
        return try await request.view.render("accounts/settings", page).response(status, for: request)
    }
}

extension SettingsController {
    func namedContactSummary(_ request: Request) async throws -> NamedContactSummary? {
        let user = try request.currentUser
        guard user.role == .resident else { return nil }
        guard let household = try await Household.query(on: request.db(.primary)).filter(\.$user.$id == user.requireID()).first(),
            let contact = try await HouseholdContact.of(household: household.requireID(), on: request.db(.primary))
        else { return NamedContactSummary(name: nil, relationship: nil, receivesKey: nil) }
        return NamedContactSummary(
            name: contact.name, relationship: contact.relationship, receivesKey: "named_contact.now_\(contact.receives.rawValue)")
    }

    /// The mailing-address form, filled from the newest application or from what was typed.
    func mailingSection(_ request: Request, _ submitted: Submitted, _ messages: [String: String]) async throws -> MailingSection? {
        guard try request.currentUser.role == .resident, let application = try await MailingAddressController.newestApplication(request),
            let homeID = application.$eligibilityAddress.id
        else { return nil }
        try await application.$eligibilityAddress.load(on: request.db(.primary))
        try await application.$mailingAddress.load(on: request.db(.primary))
        func lines(_ address: Address?) -> [String] {
            guard let address else { return [] }
            return [address.street + (address.unit.isEmpty ? "" : ", " + address.unit), "\(address.city), \(address.state) \(address.zip)"]
        }
        let sameAsHome = application.$mailingAddress.id == nil || application.$mailingAddress.id == homeID
        var form = MailingAddressController.Form(mailing_same: sameAsHome ? "yes" : "no")
        if !sameAsHome, let mailing = application.mailingAddress {
            form.mailing_street = mailing.street
            form.mailing_unit = mailing.unit
            form.mailing_city = mailing.city
            form.mailing_state = mailing.state
            form.mailing_zip = mailing.zip
        }
        var suggestion: VerifiedAddress?
        if case .mailing(let pending) = submitted {
            form = pending.form
            suggestion = pending.suggestion
        }
        let typed = form.address
        let notFound = messages["mailing_street"] != nil && form.mailing_same == "no"
        return MailingSection(
            current: lines(sameAsHome ? application.eligibilityAddress : application.mailingAddress), sameAsHome: sameAsHome,
            same: .choice(
                "mailing_same", label: "address.mailing_same", options: [("yes", "answer.yes"), ("no", "answer.no")],
                selected: [form.mailing_same ?? ""], errors: messages),
            fields: [
                .input(
                    "mailing_street", label: "address.street", autocomplete: "shipping address-line1", value: typed.street, errors: messages
                ),
                .input(
                    "mailing_unit", label: "address.unit", autocomplete: "shipping address-line2", required: false, value: typed.unit,
                    errors: messages),
                .input("mailing_city", label: "address.city", autocomplete: "shipping address-level2", value: typed.city, errors: messages),
                .input(
                    "mailing_state", label: "address.state", hint: "address.state_hint", autocomplete: "shipping address-level1",
                    value: typed.state, errors: messages),
                .input(
                    "mailing_zip", label: "address.zip", autocomplete: "shipping postal-code", inputmode: "numeric", value: typed.zip,
                    errors: messages),
            ],
            suggestion: suggestion.map { [$0.street + ($0.unit.isEmpty ? "" : ", " + $0.unit), "\($0.city), \($0.state) \($0.zip)"] },
            choice: suggestion != nil
                ? .choice(
                    "mailing_choice", label: "address.confirm_question",
                    options: [("suggested", "address.use_suggested"), ("as_entered", "address.use_typed")], selected: [], errors: messages)
                : notFound
                    ? .choice(
                        "mailing_choice", label: "address.not_found_question", options: [("as_entered", "address.keep_not_found")],
                        selected: [], errors: messages) : nil)
    }
}

/// A page with just a heading and a paragraph.
struct MessagePage: Encodable {
    let layout: LayoutContext
    let headingKey: String
    let bodyKey: String
}
