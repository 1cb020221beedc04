import Vapor

/// `/staff` (P7): where staff land after signing in.
struct StaffHomeController {
    struct Page: Encodable {
        let layout: LayoutContext
        let roleKey: String
        let isAdmin: Bool
        /// A coordinator's programs, each a link to its list.
        let programs: [ProgramLink]
        let hasPrograms: Bool
    }

    struct ProgramLink: Encodable {
        let name: String
        let url: String
    }

    /// Verifiers and admins work the queue; coordinators see their programs.
    func show(_ request: Request) async throws -> View {
        let user = try request.currentUser
        if user.role == .verifier || user.role == .admin { return try await StaffQueueController().show(request) }
        let programs = try await ProgramAccess.programs(request).map {
            ProgramLink(name: $0.name(request.language), url: SiteURL.staffProgram.path($0.slug))
        }
        return try await request.view.render(
            "staff/home",
            Page(
                layout: request.layout(titleKey: "staff.title"), roleKey: "role.\(user.role.rawValue)", isAdmin: user.role == .admin,
                programs: programs, hasPrograms: !programs.isEmpty))
    }
}
