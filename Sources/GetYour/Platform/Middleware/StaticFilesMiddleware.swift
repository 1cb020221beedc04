import Vapor

/// Serves `Public/` with a cache lifetime; everything else passes through.
struct StaticFilesMiddleware: AsyncMiddleware {
    let files: FileMiddleware

    init(publicDirectory: String) {
        files = FileMiddleware(publicDirectory: publicDirectory, defaultFile: nil)
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard request.method == .GET || request.method == .HEAD,
            request.url.path.hasPrefix("/css/") || request.url.path.hasPrefix("/js/")
                || request.url.path.hasPrefix("/images/") || request.url.path == "/favicon.ico"
        else { return try await next.respond(to: request) }
        let response = try await files.respond(to: request, chainingTo: next).get()
        if request.route == nil { request.storage[ServedStaticFileKey.self] = true }
        if response.status == .ok {
            response.headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=3600")
        }
        return response
    }
}
