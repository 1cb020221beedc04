import Foundation
import Synchronization
import Vapor

/// Whole rendered pages for visitors who are not signed in: the landing page, `/programs` and
/// the sign-in page are the same for every such visitor in one language, apart from the form
/// token. They are rendered once per language with a marker where the token goes, and each
/// visitor gets the stored page with their own token put in (so the CSRF cookie works as on
/// any page). A stored page lives as long as the program list it shows (`ProgramCatalog`):
/// an admin's change on this server replaces it at once, another server's within the
/// catalog's lifetime.
///
/// Only a plain GET qualifies: no session, no query other than `lang` (the sign-in page's
/// `next` and notices, for instance, are rendered afresh).
final class PublicPageCache: Sendable {
    struct Key: Hashable, Sendable {
        let template: String
        let language: Language
    }

    struct Page: Sendable {
        /// The page split at each token marker.
        let parts: [String]
        let generation: Int
        let at: Date
    }

    /// Stands where the token goes while a page is rendered for the cache. URL-safe base64
    /// characters only, like a real token, so escaping leaves it as it is.
    static let tokenMarker = "GetYourCSRFTokenMarker0x5f3759df1c8a2b4e"

    private let pages = Mutex<[Key: Page]>([:])

    func page(_ key: Key, generation: Int, now: Date) -> Page? {
        guard let page = pages.withLock({ $0[key] }), page.generation == generation,
            now.timeIntervalSince(page.at) < ProgramCatalog.lifetime, now >= page.at
        else { return nil }
        return page
    }

    func store(_ key: Key, _ page: Page) {
        pages.withLock { $0[key] = page }
    }

    /// Whether `request` may get a stored page.
    static func qualifies(_ request: Request) -> Bool {
        guard request.method == .GET, request.storage[SessionKey.self] == nil, !request.sessionExpired else { return false }
        guard let query = request.url.query, !query.isEmpty else { return true }
        return query.split(separator: "&").allSatisfy { $0.hasPrefix("lang=") }
    }
}

enum RenderingForCacheKey: StorageKey { typealias Value = Bool }

private enum PublicPageCacheKey: StorageKey { typealias Value = PublicPageCache }

extension Application {
    var publicPages: PublicPageCache {
        if let cache = storage[PublicPageCacheKey.self] { return cache }
        let cache = PublicPageCache()
        storage[PublicPageCacheKey.self] = cache
        return cache
    }
}

extension Request {
    /// The page `render` makes, from the cache when the visitor qualifies (see `PublicPageCache`).
    func publicPage(_ template: String, render: () async throws -> View) async throws -> Response {
        guard PublicPageCache.qualifies(self) else { return try await render().encodeResponse(for: self) }
        let cache = application.publicPages, key = PublicPageCache.Key(template: template, language: language)
        let snapshot = try await programs()
        let now = application.clock.now()
        let page: PublicPageCache.Page
        if let stored = cache.page(key, generation: snapshot.generation, now: now) {
            page = stored
        } else {
            storage[RenderingForCacheKey.self] = true
            let view = try await render()
            storage[RenderingForCacheKey.self] = nil
            page = PublicPageCache.Page(
                parts: String(buffer: view.data).components(separatedBy: PublicPageCache.tokenMarker),
                generation: snapshot.generation, at: snapshot.at)
            cache.store(key, page)
        }
        let token = page.parts.count > 1 ? csrfToken : ""
        var body = byteBufferAllocator.buffer(capacity: page.parts.reduce(0) { $0 + $1.utf8.count } + token.utf8.count * page.parts.count)
        for (index, part) in page.parts.enumerated() {
            if index > 0 { body.writeString(token) }
            body.writeString(part)
        }
        var headers = HTTPHeaders()
        headers.contentType = .html
        return Response(status: .ok, headers: headers, body: .init(buffer: body))
    }
}
