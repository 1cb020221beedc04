import Crypto
import Fluent
import SQLKit
import Vapor

/// Staff two-factor sign-in (P10, P13 continued): after the password, staff either set up an
/// authenticator at `/staff/two-factor/setup` (first time, or after an admin reset) or enter
/// its code at `/login/two-factor`. Until then no `/staff` page opens (see `RequireSignIn`).
struct TwoFactorController {
    static let sessionKey = "mfa"
    static let nextKey = "mfa_next"
    static let codesKey = "mfa_new_codes"
    static let issuer = "Get-Your"

    struct CodePage: Encodable {
        let layout: LayoutContext
        let summary: ErrorSummary
        let code: FormField
    }

    struct SetupPage: Encodable {
        let layout: LayoutContext
        let summary: ErrorSummary
        let secret: String
        let uri: String
        let qrSVG: String
        let code: FormField
    }

    struct CodesPage: Encodable {
        let layout: LayoutContext
        let codes: [String]
    }

    /// Signs a person in after the right password: residents at once; staff only half-way,
    /// until the second factor is proved.
    static func signIn(_ user: User, next: String?, on request: Request) async throws -> Response {
        try request.signIn(user)
        guard user.role.isStaff else { return request.redirect(to: next ?? request.home(for: user), redirectType: .normal) }
        request.browserSession[sessionKey] = "pending"
        request.browserSession[nextKey] = next
        return request.redirect(to: pendingDestination(user), redirectType: .normal)
    }

    /// Where a staff member without a proved second factor must go.
    static func pendingDestination(_ user: User) -> String {
        user.totpEnabledAt == nil ? SiteURL.twoFactorSetup.path() : SiteURL.twoFactor.path()
    }

    static func isProved(_ request: Request) -> Bool { request.browserSession[sessionKey] == "ok" }

    // MARK: /login/two-factor

    func show(_ request: Request) async throws -> Response {
        let user = try request.currentUser
        if Self.isProved(request) { return request.redirect(to: SiteURL.staff.path(), redirectType: .normal) }
        guard user.totpEnabledAt != nil else { return request.redirect(to: SiteURL.twoFactorSetup.path(), redirectType: .normal) }
        return try await renderCode(request, FormErrors(), status: .ok)
    }

    func verify(_ request: Request) async throws -> Response {
        let user = try request.currentUser
        if Self.isProved(request) { return request.redirect(to: SiteURL.staff.path(), redirectType: .normal) }
        guard user.totpEnabledAt != nil else { return request.redirect(to: SiteURL.twoFactorSetup.path(), redirectType: .normal) }
        let typed = (try? request.content.get(String.self, at: "code")) ?? ""
        let code = typed.filter { !$0.isWhitespace && $0 != "-" }.lowercased()
        var errors = FormErrors()
        if code.isEmpty {
            errors.add("code", "two_factor.error.required")
            return try await renderCode(request, errors, status: .unprocessableEntity)
        }
        let throttle = request.throttle, limits = request.application.settings.limits
        let attempt = try await throttle.attempt(.twoFactor, try user.requireID().uuidString, limits.loginFailures)
        guard attempt.allowed else {
            request.securityEvent(.throttled, reason: Throttle.Bucket.twoFactor.rawValue, userID: user.id)
            errors.add("code", "two_factor.error.throttled", ["\(Int(limits.loginFailures.window / 60))"])
            return try await renderCode(request, errors, status: .tooManyRequests)
        }
        let db = request.db(.primary)
        var usedRecovery = false
        var accepted = try await Self.acceptTOTP(code, for: user, on: request)
        if !accepted, try await Self.useRecoveryCode(code, for: user, now: request.application.clock.now(), on: db) {
            accepted = true
            usedRecovery = true
        }
        guard accepted else {
            request.securityEvent(.twoFactorFailed, reason: code.count == 6 ? "wrong_code" : "wrong_recovery_code", userID: user.id)
            errors.add("code", "two_factor.error.wrong")
            return try await renderCode(request, errors, status: .unprocessableEntity)
        }
        try await throttle.forget(attempt.id)
        if usedRecovery {
            request.securityEvent(.recoveryCodeUsed, reason: "recovery_code", userID: user.id)
            try await request.audit(.recoveryCodeUsed, .init(user: user.id))
        }
        return try complete(request, user)
    }

    /// The second factor is proved: a fresh session id, then where the person was going.
    private func complete(_ request: Request, _ user: User) throws -> Response {
        let next = request.browserSession[Self.nextKey]
        try request.signIn(user)
        request.browserSession[Self.sessionKey] = "ok"
        request.browserSession[Self.nextKey] = nil
        return request.redirect(to: ContactRules.safeLocalPath(next) ?? SiteURL.staff.path(), redirectType: .normal)
    }

    /// Accepts a current code once: the step is recorded with a conditional update, so the
    /// same code cannot be replayed, not even by two requests at the same moment.
    static func acceptTOTP(_ code: String, for user: User, on request: Request) async throws -> Bool {
        guard let sealed = user.totpSecret,
            let secret = SealedSecret.open(sealed, secretKey: request.application.settings.security.secretKey),
            let step = TOTP(secret: secret).matchingStep(code, at: request.application.clock.now())
        else { return false }
        let sql = request.db(.primary) as! any SQLDatabase
        let rows = try await sql.raw(
            """
            UPDATE users SET totp_last_step = \(bind: step) WHERE id = \(bind: try user.requireID())
            AND (totp_last_step IS NULL OR totp_last_step < \(bind: step)) RETURNING id
            """
        ).all()
        return !rows.isEmpty
    }

    /// Uses up one unused recovery code; true when `code` was one.
    static func useRecoveryCode(_ code: String, for user: User, now: Date, on db: any Database) async throws -> Bool {
        guard code.count == RecoveryCode.length else { return false }
        let sql = db as! any SQLDatabase
        let rows = try await sql.raw(
            """
            UPDATE recovery_codes SET used_at = \(bind: now) WHERE user_id = \(bind: try user.requireID())
            AND code_hash = \(bind: RecoveryCode.hash(code)) AND used_at IS NULL RETURNING id
            """
        ).all()
        return !rows.isEmpty
    }

    // MARK: /staff/two-factor/setup

    func showSetup(_ request: Request) async throws -> Response {
        let user = try request.currentUser
        if user.totpEnabledAt != nil {
            if !Self.isProved(request) { return request.redirect(to: SiteURL.twoFactor.path(), redirectType: .normal) }
            let page = MessagePage(
                layout: request.layout(titleKey: "two_factor.done_title"), headingKey: "two_factor.done_title",
                bodyKey: "two_factor.done_body")
            return try await request.view.render("accounts/message", page).encodeResponse(for: request)
        }
        return try await renderSetup(request, user, FormErrors(), status: .ok)
    }

    func completeSetup(_ request: Request) async throws -> Response {
        let user = try request.currentUser
        guard user.totpEnabledAt == nil else { return request.redirect(to: SiteURL.twoFactorSetup.path(), redirectType: .normal) }
        let code = ((try? request.content.get(String.self, at: "code")) ?? "").filter { !$0.isWhitespace }
        var errors = FormErrors()
        if code.isEmpty {
            errors.add("code", "two_factor.error.required")
        } else if !(try await Self.acceptTOTP(code, for: user, on: request)) {
            request.securityEvent(.twoFactorFailed, reason: "setup_wrong_code", userID: user.id)
            errors.add("code", "two_factor.error.wrong")
        }
        guard errors.isEmpty else { return try await renderSetup(request, user, errors, status: .unprocessableEntity) }
        let now = request.application.clock.now()
        let codes = (0..<10).map { _ in RecoveryCode.generate() }
        let userID = try user.requireID()
        try await request.db(.primary).writeTransaction { db in
            try await User.query(on: db).filter(\.$id == userID).set(\.$totpEnabledAt, to: now).update()
            try await RecoveryCode.query(on: db).filter(\.$user.$id == userID).delete()
            for code in codes { try await RecoveryCode(userID: userID, code: code, now: now).create(on: db) }
            try await request.audit(.twoFactorEnabled, .init(user: userID), on: db)
        }
        let response = try complete(request, user)
        // Shown once, on the next page, then gone from the session.
        request.browserSession[Self.codesKey] = codes.map(RecoveryCode.display).joined(separator: " ")
        response.headers.replaceOrAdd(name: .location, value: SiteURL.recoveryCodes.path())
        return response
    }

    func showRecoveryCodes(_ request: Request) async throws -> Response {
        guard let codes = request.browserSession[Self.codesKey] else {
            return request.redirect(to: SiteURL.staff.path(), redirectType: .normal)
        }
        request.browserSession[Self.codesKey] = nil
        let page = CodesPage(
            layout: request.layout(titleKey: "two_factor.codes_title"), codes: codes.split(separator: " ").map(String.init))
        return try await request.view.render("staff/recovery-codes", page).encodeResponse(for: request)
    }

    private func renderCode(_ request: Request, _ errors: FormErrors, status: HTTPResponseStatus) async throws -> Response {
        let page = CodePage(
            layout: request.layout(titleKey: "two_factor.title", hasErrors: !errors.isEmpty), summary: ErrorSummary(request, errors),
            code: .input(
                "code", label: "two_factor.code", hint: "two_factor.code_hint", autocomplete: "one-time-code", inputmode: "numeric",
                errors: errors.resolved(request)))
        return try await request.view.render("accounts/two-factor", page).response(status, for: request)
    }

    private func renderSetup(_ request: Request, _ user: User, _ errors: FormErrors, status: HTTPResponseStatus) async throws -> Response {
        let secretKey = request.application.settings.security.secretKey
        var secret = user.totpSecret.flatMap { SealedSecret.open($0, secretKey: secretKey) }
        if secret == nil {
            let fresh = TOTP.newSecret()
            user.totpSecret = try SealedSecret.seal(fresh, secretKey: secretKey)
            try await user.update(on: request.db(.primary))
            secret = fresh
        }
        let uri = TOTP.provisioningURI(secret: secret ?? [], account: user.email, issuer: Self.issuer)
        let text = Base32.encode(secret ?? [])
        let grouped = stride(from: 0, to: text.count, by: 4).map { offset -> String in
            let start = text.index(text.startIndex, offsetBy: offset)
            return String(text[start..<(text.index(start, offsetBy: 4, limitedBy: text.endIndex) ?? text.endIndex)])
        }.joined(separator: " ")
        let label = request.application.messages.text("two_factor.qr_label", request.language)
        let page = SetupPage(
            layout: request.layout(titleKey: "two_factor.setup_title", hasErrors: !errors.isEmpty), summary: ErrorSummary(request, errors),
            secret: grouped, uri: uri, qrSVG: try QRCode(text: uri).svg(title: label),
            code: .input(
                "code", label: "two_factor.code", hint: "two_factor.setup_code_hint", autocomplete: "one-time-code", inputmode: "numeric",
                errors: errors.resolved(request)))
        return try await request.view.render("staff/two-factor-setup", page).response(status, for: request)
    }
}

/// A single-use recovery code for a staff member who lost their authenticator (stored hashed).
final class RecoveryCode: Model, @unchecked Sendable {
    static let schema = "recovery_codes"
    static let length = 10
    static let alphabet = Array("abcdefghjkmnpqrstuvwxyz23456789")

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @Field(key: "code_hash") var codeHash: String
    @OptionalField(key: "used_at") var usedAt: Date?
    @Field(key: "created_at") var createdAt: Date

    init() {}

    init(userID: UUID, code: String, now: Date) {
        self.$user.id = userID
        self.codeHash = Self.hash(code)
        self.createdAt = now
    }

    static func generate() -> String { String((0..<length).map { _ in alphabet.randomElement()! }) }

    /// `abcde-fghjk`, as printed for the person to keep.
    static func display(_ code: String) -> String { String(code.prefix(5)) + "-" + String(code.dropFirst(5)) }

    static func hash(_ code: String) -> String {
        SHA256.hash(data: Data(("recovery:" + code).utf8)).hexString
    }
}
