import Fluent
import Vapor

/// `/staff/admin/staff` (P7, admin only): the staff accounts, their roles and whether their
/// second factor is set up, with a reset for a colleague who lost their authenticator; invite
/// a colleague by email; change a colleague's role, programs, or deactivate them.
struct AdminStaffController {
    struct Row: Encodable {
        let name: String
        let email: String
        let roleKey: String
        let twoFactorKey: String
        let resetURL: String?
        let editURL: String
        let active: Bool
    }

    struct Page: Encodable {
        let layout: LayoutContext
        let summary: ErrorSummary
        let notice: String?
        let rows: [Row]
        let invite: [FormField]
        let role: FormField
        let programs: FormField
    }

    struct InviteForm: Content {
        var email: String?
        var first_name: String?
        var last_name: String?
        var role: String?
        var programs: [String]?
    }

    struct ChangeForm: Content {
        var role: String?
        var programs: [String]?
        var active: String?
    }

    struct EditPage: Encodable {
        let layout: LayoutContext
        let summary: ErrorSummary
        let name: String
        let email: String
        let action: String
        let role: FormField
        let programs: FormField
        let active: FormField
    }

    func list(_ request: Request) async throws -> Response {
        try await renderList(request, InviteForm(), FormErrors(), status: .ok)
    }

    /// POST `/staff/admin/staff`: creates the account and queues the invitation email.
    func invite(_ request: Request) async throws -> Response {
        let form = try request.content.decode(InviteForm.self)
        var errors = FormErrors()
        if !ContactRules.isEmail(User.normalise(email: form.email ?? "")) { errors.add("email", "admin_staff.error.email_invalid") }
        let first = ContactRules.name(form.first_name ?? ""), last = ContactRules.name(form.last_name ?? "")
        ContactRules.checkNames(
            first: form.first_name, last: form.last_name, firstKey: "signup.error.first_name_required",
            lastKey: "signup.error.last_name_required", into: &errors)
        let role = form.role.flatMap(User.Role.init(rawValue:))
        if role?.isStaff != true { errors.add("role", "admin_staff.error.role_invalid") }
        guard errors.isEmpty, let role, let first, let last else {
            return try await renderList(request, form, errors, status: .unprocessableEntity)
        }
        do {
            let (user, _) = try await StaffAccounts.invite(
                email: form.email ?? "", role: role, programs: form.programs ?? [], firstName: first, lastName: last,
                app: request.application, on: request.db(.primary))
            try await request.audit(.staffInvited, .init(user: user.id))
        } catch let problem as StaffAccounts.Problem {
            errors.add(Self.field(for: problem), "admin_staff.error.\(problem.rawValue)")
            return try await renderList(request, form, errors, status: .unprocessableEntity)
        }
        return request.redirect(to: SiteURL.adminStaff.path() + "?invited=1", redirectType: .normal)
    }

    func showEdit(_ request: Request) async throws -> Response {
        let user = try await Self.colleague(request)
        let programs = try await StaffProgramScope.query(on: request.db(.primary)).filter(\.$user.$id == user.requireID()).all()
        let form = ChangeForm(role: user.role.rawValue, programs: programs.map(\.programSlug), active: user.archived ? "no" : "yes")
        return try await renderEdit(request, user, form, FormErrors(), status: .ok)
    }

    /// POST `/staff/admin/staff/{id}`: role, programs, active; the rules are `StaffAccounts`'.
    func change(_ request: Request) async throws -> Response {
        let user = try await Self.colleague(request)
        let form = try request.content.decode(ChangeForm.self)
        var errors = FormErrors()
        let role = form.role.flatMap(User.Role.init(rawValue:))
        if role?.isStaff != true { errors.add("role", "admin_staff.error.role_invalid") }
        if !["yes", "no"].contains(form.active ?? "") { errors.add("active", "admin_staff.error.active") }
        guard errors.isEmpty, let role else { return try await renderEdit(request, user, form, errors, status: .unprocessableEntity) }
        do {
            try await StaffAccounts.change(
                try user.requireID(), role: role, programs: form.programs ?? [], active: form.active == "yes", by: request)
        } catch let problem as StaffAccounts.Problem {
            errors.add(Self.field(for: problem), "admin_staff.error.\(problem.rawValue)")
            return try await renderEdit(request, user, form, errors, status: .unprocessableEntity)
        }
        return request.redirect(to: SiteURL.adminStaff.path() + "?changed=1", redirectType: .normal)
    }

    static func field(for problem: StaffAccounts.Problem) -> String {
        switch problem {
        case .emailInvalid, .emailTaken: "email"
        case .programsNeeded, .programUnknown: "programs"
        case .roleInvalid, .ownAccount, .lastAdmin: "role"
        }
    }

    static func colleague(_ request: Request) async throws -> User {
        guard let id = request.parameters.get("id").flatMap(UUID.init(uuidString:)),
            let user = try await User.find(id, on: request.db(.primary)), user.role.isStaff
        else { throw Abort(.notFound) }
        return user
    }

    static func roleField(_ selected: String?, _ m: [String: String]) -> FormField {
        .choice(
            "role", label: "admin_staff.role", hint: "admin_staff.role_hint",
            options: [("verifier", "role.verifier"), ("coordinator", "role.coordinator"), ("admin", "role.admin")],
            selected: [selected ?? ""], errors: m)
    }

    static func programsField(_ selected: [String], _ request: Request, _ m: [String: String]) async throws -> FormField {
        let programs = try await BenefitProgram.query(on: request.db(.primary)).sort(\.$sort).all()
        return FormField(
            name: "programs", labelKey: "admin_staff.programs", hintKey: "admin_staff.programs_hint", error: m["programs"],
            options: programs.map {
                FormField.Option(value: $0.slug, label: $0.name(request.language), checked: selected.contains($0.slug))
            })
    }

    private func renderEdit(_ request: Request, _ user: User, _ form: ChangeForm, _ errors: FormErrors, status: HTTPResponseStatus)
        async throws -> Response
    {
        let m = errors.resolved(request)
        let page = EditPage(
            layout: request.layout(titleKey: "admin_staff.edit_title", hasErrors: !errors.isEmpty), summary: ErrorSummary(request, errors),
            name: "\(user.firstName) \(user.lastName)", email: user.email,
            action: SiteURL.adminStaffMember.path(user.id!.uuidString.lowercased()),
            role: Self.roleField(form.role, m), programs: try await Self.programsField(form.programs ?? [], request, m),
            active: .choice(
                "active", label: "admin_staff.active", options: [("yes", "admin_staff.active_yes"), ("no", "admin_staff.active_no")],
                selected: [form.active ?? ""], errors: m))
        return try await request.view.render("staff/admin-staff-edit", page).response(status, for: request)
    }

    private func renderList(_ request: Request, _ form: InviteForm, _ errors: FormErrors, status: HTTPResponseStatus) async throws
        -> Response
    {
        let me = try request.currentUser
        let staff = try await User.query(on: request.db(.primary)).filter(\.$role != .resident).sort(\.$lastName).sort(\.$firstName).all()
        let rows = staff.map { user in
            Row(
                name: "\(user.firstName) \(user.lastName)", email: user.email, roleKey: "role.\(user.role.rawValue)",
                twoFactorKey: user.totpEnabledAt == nil ? "admin_staff.two_factor_off" : "admin_staff.two_factor_on",
                resetURL: user.id == me.id || user.totpSecret == nil ? nil : SiteURL.adminStaffResetTwoFactor.path(user.id!.uuidString),
                editURL: SiteURL.adminStaffMember.path(user.id!.uuidString.lowercased()), active: !user.archived)
        }
        let notice = ["reset", "invited", "changed"].first { (try? request.query.get(String.self, at: $0)) == "1" }
            .map { "admin_staff.\($0)_done" }
        let m = errors.resolved(request)
        let page = Page(
            layout: request.layout(titleKey: "admin_staff.title", hasErrors: !errors.isEmpty), summary: ErrorSummary(request, errors),
            notice: notice, rows: rows,
            invite: [
                .input("email", label: "admin_staff.email", type: "email", autocomplete: "off", value: form.email, errors: m),
                .input("first_name", label: "signup.first_name", autocomplete: "off", value: form.first_name, errors: m),
                .input("last_name", label: "signup.last_name", autocomplete: "off", value: form.last_name, errors: m),
            ],
            role: Self.roleField(form.role, m), programs: try await Self.programsField(form.programs ?? [], request, m))
        return try await request.view.render("staff/admin-staff", page).response(status, for: request)
    }

    /// Clears a colleague's authenticator and recovery codes and signs them out everywhere;
    /// they set up a new one at their next sign-in. Audited, and logged as a security event.
    func resetTwoFactor(_ request: Request) async throws -> Response {
        let me = try request.currentUser
        guard let id = request.parameters.get("id").flatMap(UUID.init(uuidString:)),
            let user = try await User.find(id, on: request.db(.primary)), user.role.isStaff
        else { throw Abort(.notFound) }
        // Nobody resets their own second factor: that would let a stolen password replace it.
        guard id != me.id else { throw Abort(.forbidden) }
        try await request.db(.primary).writeTransaction { db in
            try await User.query(on: db).filter(\.$id == id)
                .set(\.$totpSecret, to: nil).set(\.$totpEnabledAt, to: nil).set(\.$totpLastStep, to: nil).update()
            try await RecoveryCode.query(on: db).filter(\.$user.$id == id).delete()
            try await StoredSession.deleteAll(for: id, on: db)
            try await request.audit(.twoFactorReset, .init(user: id), on: db)
        }
        request.securityEvent(.twoFactorReset, reason: "admin_reset", userID: id)
        return request.redirect(to: SiteURL.adminStaff.path() + "?reset=1", redirectType: .normal)
    }
}
