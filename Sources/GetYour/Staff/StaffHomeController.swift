import Vapor

/// `/staff` (P7): where staff land after signing in.
struct StaffHomeController {
    struct Page: Encodable {
        let layout: LayoutContext
        let roleKey: String
        let isAdmin: Bool
    }

    func show(_ request: Request) async throws -> View {
        let user = try request.currentUser
        return try await request.view.render(
            "staff/home",
            Page(layout: request.layout(titleKey: "staff.title"), roleKey: "role.\(user.role.rawValue)", isAdmin: user.role == .admin))
    }
}
