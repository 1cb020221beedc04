import Vapor

/// `/apply` (P13): where a resident's application starts and resumes.
struct ApplyController {
    struct Page: Encodable {
        let layout: LayoutContext
        let firstName: String
    }

    func show(_ request: Request) async throws -> View {
        let user = try request.currentUser
        return try await request.view.render("application/start", Page(layout: request.layout(titleKey: "apply.title"), firstName: user.firstName))
    }
}
