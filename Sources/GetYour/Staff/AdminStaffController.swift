import Fluent
import Vapor

/// `/staff/admin/staff` (P7, admin only): the staff accounts, their roles and whether their
/// second factor is set up, with a reset for a colleague who lost their authenticator.
struct AdminStaffController {
    struct Row: Encodable {
        let name: String
        let email: String
        let roleKey: String
        let twoFactorKey: String
        let resetURL: String?
    }

    struct Page: Encodable {
        let layout: LayoutContext
        let notice: String?
        let rows: [Row]
    }

    func list(_ request: Request) async throws -> View {
        let me = try request.currentUser
        let staff = try await User.query(on: request.db(.primary)).filter(\.$role != .resident).sort(\.$lastName).sort(\.$firstName).all()
        let rows = staff.map { user in
            Row(
                name: "\(user.firstName) \(user.lastName)", email: user.email, roleKey: "role.\(user.role.rawValue)",
                twoFactorKey: user.totpEnabledAt == nil ? "admin_staff.two_factor_off" : "admin_staff.two_factor_on",
                resetURL: user.id == me.id || user.totpSecret == nil ? nil : SiteURL.adminStaffResetTwoFactor.path(user.id!.uuidString))
        }
        let notice = (try? request.query.get(String.self, at: "reset")) == "1" ? "admin_staff.reset_done" : nil
        return try await request.view.render(
            "staff/admin-staff", Page(layout: request.layout(titleKey: "admin_staff.title"), notice: notice, rows: rows))
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
