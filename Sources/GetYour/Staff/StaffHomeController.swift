import Vapor

/// `/staff` (P7): where staff land after signing in.
struct StaffHomeController {
    struct Page: Encodable {
        let layout: LayoutContext
        let roleKey: String
        let isAdmin: Bool
    }

    /// Verifiers and admins work the queue; coordinators see this page until their
    /// program lists exist.
    func show(_ request: Request) async throws -> View {
        let user = try request.currentUser
        if user.role == .verifier || user.role == .admin { return try await StaffQueueController().show(request) }
        return try await request.view.render(
            "staff/home",
            Page(layout: request.layout(titleKey: "staff.title"), roleKey: "role.\(user.role.rawValue)", isAdmin: user.role == .admin))
    }
}
