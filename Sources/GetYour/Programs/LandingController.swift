import Vapor

/// The public landing page (P3 step 1).
struct LandingController {
    struct Page: Encodable {
        let layout: LayoutContext
    }

    func show(_ request: Request) async throws -> View {
        try await request.view.render("landing/index", Page(layout: request.layout(titleKey: "landing.title")))
    }
}
