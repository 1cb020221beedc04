import Vapor

extension RoutesBuilder {
    /// Registers a handler for one of the app's URLs.
    @discardableResult
    func on<Output: AsyncResponseEncodable>(
        _ method: HTTPMethod, _ url: SiteURL, body: HTTPBodyStreamStrategy = .collect,
        use handler: @Sendable @escaping (Request) async throws -> Output
    ) -> Route {
        on(method, url.components, body: body, use: handler)
    }
}
