import Crypto
import Foundation
import Synchronization
import Vapor

/// Cross-site request forgery protection for every state-changing request (P10).
///
/// The secret lives in its own `HttpOnly`, `SameSite=Lax` cookie for the browser session
/// and every form echoes it in `csrf_token`. Keeping it out of the database session means
/// anonymous pages (landing, sign-up) create no rows, and a form left open past the idle
/// timeout still posts: the person is then sent to sign in instead of seeing a 403.
/// Requests that the browser marks cross-site are refused even with a valid token.
struct CSRFMiddleware: AsyncMiddleware {
    static let fieldName = "csrf_token"
    let cookie: CookieSettings
    let trustedOrigin: String

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        request.storage[CSRFKey.self] = CSRFState(existing: request.cookies[cookie.csrfName]?.string)
        if ![.GET, .HEAD, .OPTIONS].contains(request.method) {
            try rejectCrossSite(request)
            if request.route?.userInfo[CSRF.checkedByHandler] as? Bool != true {
                try await Self.collectForm(request)
                try CSRF.verify(request.csrf.submitted(in: request), for: request)
            }
        }
        let response = try await next.respond(to: request)
        if let issued = request.csrf.issued {
            response.cookies[cookie.csrfName] = cookie.value(issued)
        }
        return response
    }

    /// Middleware runs before the route collects the body: collect it here, bounded by the
    /// same limit (413 beyond it), so the token field can be read.
    static func collectForm(_ request: Request) async throws {
        let limit = request.application.routes.defaultMaxBodySize.value
        if let length = request.headers.first(name: .contentLength).flatMap(Int.init), length > limit {
            throw Abort(.payloadTooLarge)
        }
        if let data = request.body.data {
            guard data.readableBytes <= limit else { throw Abort(.payloadTooLarge) }
        } else {
            _ = try await request.body.collect(max: limit).get()
        }
    }

    private func rejectCrossSite(_ request: Request) throws {
        if request.headers.first(name: "Sec-Fetch-Site") == "cross-site" {
            throw PlatformError.crossSiteRequest
        }
        if let origin = request.headers.first(name: .origin) {
            let host = request.headers.first(name: .host).map { [("http://" + $0), ("https://" + $0)] } ?? []
            guard origin == trustedOrigin || host.contains(origin) else { throw PlatformError.crossSiteRequest }
        }
    }
}

/// The per-browser-session token: read from the cookie, or issued on first use.
final class CSRFState: Sendable {
    private let existing: String?
    private let fresh = Mutex<String?>(nil)

    init(existing: String?) {
        self.existing = existing.flatMap { $0.count >= 32 ? $0 : nil }
    }

    /// Issues a new token (sign-in, sign-out): forms rendered before no longer post.
    func rotate() {
        fresh.withLock { $0 = SessionMiddleware.newToken() }
    }

    /// The token forms must carry; issues one (set as a cookie on the way out) when the
    /// browser has none, so pages without forms set no cookie.
    var token: String {
        fresh.withLock { fresh in
            if let fresh { return fresh }
            if let existing { return existing }
            let token = SessionMiddleware.newToken()
            fresh = token
            return token
        }
    }

    var issued: String? { fresh.withLock { $0 } }
    var cookieValue: String? { existing }

    func submitted(in request: Request) -> String? {
        try? request.content.get(String.self, at: CSRF.fieldName)
    }
}

enum CSRFKey: StorageKey { typealias Value = CSRFState }

/// Helpers shared by the middleware and by handlers that parse their own bodies (uploads).
public enum CSRF {
    /// Route flag for handlers that read a streamed body and verify the token themselves.
    public static let checkedByHandler = "csrf.checkedByHandler"
    public static let fieldName = CSRFMiddleware.fieldName

    /// Throws `PlatformError.csrfRejected` unless `submitted` equals the browser's token.
    public static func verify(_ submitted: String?, for request: Request) throws {
        guard let expected = request.csrf.cookieValue, let submitted,
            constantTimeEquals(Array(expected.utf8), Array(submitted.utf8))
        else { throw PlatformError.csrfRejected }
    }

    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}

extension Request {
    var csrf: CSRFState {
        if let state = storage[CSRFKey.self] { return state }
        let state = CSRFState(existing: nil)
        storage[CSRFKey.self] = state
        return state
    }

    /// The token for the forms on the page being rendered.
    public var csrfToken: String { csrf.token }
}
