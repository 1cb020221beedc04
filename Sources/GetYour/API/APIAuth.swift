import Fluent
import Foundation
import JWT
import Vapor

/// The claims a partner's token carries. `exp` is required (a token without one does not
/// decode); the time checks use the app's clock (`APIAuthenticator`), not JWTKit's.
struct APIClaims: JWTPayload {
    var sub: SubjectClaim
    var exp: ExpirationClaim
    var nbf: NotBeforeClaim?
    var iat: IssuedAtClaim?
    var iss: IssuerClaim?
    var aud: AudienceClaim?
    /// `admin`, or `program:<slug>` for each department program the caller runs.
    var roles: [String]

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// Who called: the token's `sub`, and what its roles allow.
struct APICaller: Sendable {
    let subject: String
    let isAdmin: Bool
    let programs: Set<String>

    init(subject: String, roles: [String]) {
        self.subject = subject
        self.isAdmin = roles.contains("admin")
        self.programs = Set(
            roles.compactMap { $0.hasPrefix("program:") ? String($0.dropFirst("program:".count)) : nil }.filter { !$0.isEmpty })
    }

    func may(program slug: String) -> Bool { isAdmin || programs.contains(slug) }
}

/// Checks `Authorization: Bearer <JWT>` (P14). The token's header is read first, to refuse
/// `alg: none`, an algorithm other than the key's (no HS/RS confusion), and a `kid` that is
/// not configured (JWTKit would fall back to the default key); the signature is then
/// verified by Vapor's JWT package with the configured key; then `exp`, `nbf`, the longest
/// lifetime, `iss` and `aud` are checked against the app's clock.
struct APIAuthenticator: AsyncMiddleware {
    let settings: APISettings

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let caller = try await caller(request)
        // Per caller, counted in the primary database so every server shares the count.
        let limit = RateLimit(count: settings.requestsPerMinute, window: 60)
        guard try await request.throttle.attempt(.apiCaller, caller.subject, limit, now: request.application.clock.now()).allowed else {
            throw APIError(
                status: .tooManyRequests, code: .rateLimited,
                message: "More than \(settings.requestsPerMinute) calls in a minute: wait a moment and try again.")
        }
        request.apiCaller = caller
        return try await next.respond(to: request)
    }

    private struct Header: Decodable {
        let alg: String?
        let kid: String?
    }

    func caller(_ request: Request) async throws -> APICaller {
        guard let authorization = request.headers.first(name: .authorization) else {
            throw APIError.unauthorized("Send a token: Authorization: Bearer <JWT>.")
        }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw APIError.unauthorized("Send a token: Authorization: Bearer <JWT>.")
        }
        let token = String(parts[1]).trimmingCharacters(in: .whitespaces)
        let segments = token.split(separator: ".", omittingEmptySubsequences: false)
        guard segments.count == 3, let headerData = Self.base64URL(String(segments[0])),
            let header = try? JSONDecoder().decode(Header.self, from: headerData), let alg = header.alg
        else { throw APIError.unauthorized("The token is not a signed JWT.") }
        guard alg.lowercased() != "none" else { throw APIError.unauthorized("Unsigned tokens are refused.") }
        if let kid = header.kid {
            guard let key = settings.publicKeys.first(where: { $0.kid == kid }) else {
                throw APIError.unauthorized("The token's key id is not known.")
            }
            guard alg == key.algorithm.rawValue else { throw APIError.unauthorized("The token's algorithm is not its key's.") }
        } else {
            guard settings.hs256Secret != nil, alg == "HS256" else {
                throw APIError.unauthorized("A token without a key id must be signed with HS256.")
            }
        }
        let claims: APIClaims
        do {
            claims = try await request.jwt.verify(token, as: APIClaims.self)
        } catch {
            throw APIError.unauthorized("The token's signature or claims are not valid.")
        }
        let now = request.application.clock.now()
        guard claims.exp.value > now else { throw APIError(status: .unauthorized, code: .tokenExpired, message: "The token has expired.") }
        if let nbf = claims.nbf, nbf.value > now.addingTimeInterval(30) {
            throw APIError.unauthorized("The token is not valid yet.")
        }
        let start = claims.iat.map { min($0.value, now) } ?? now
        guard claims.exp.value.timeIntervalSince(start) <= settings.maxTokenLifetime + 1 else {
            throw APIError.unauthorized(
                "The token lives longer than \(Int(settings.maxTokenLifetime / 60)) minutes: ask for a shorter one.")
        }
        if let issuer = settings.issuer, claims.iss?.value != issuer { throw APIError.unauthorized("The token's issuer is not accepted.") }
        if let audience = settings.audience, !(claims.aud?.value.contains(audience) ?? false) {
            throw APIError.unauthorized("The token is not meant for this service.")
        }
        let subject = claims.sub.value.trimmingCharacters(in: .whitespaces)
        guard !subject.isEmpty, subject.count <= 100 else {
            throw APIError.unauthorized("The token needs a sub of at most 100 characters.")
        }
        let caller = APICaller(subject: subject, roles: claims.roles)
        guard caller.isAdmin || !caller.programs.isEmpty else {
            throw APIError.forbidden("The token's roles allow nothing here (admin, or program:<slug>).")
        }
        return caller
    }

    static func base64URL(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}

private enum APICallerKey: StorageKey { typealias Value = APICaller }

extension Request {
    /// The partner the API authenticated (set by `APIAuthenticator`).
    var apiCaller: APICaller? {
        get { storage[APICallerKey.self] }
        set { storage[APICallerKey.self] = newValue }
    }

    func requireAPICaller() throws -> APICaller {
        guard let caller = apiCaller else { throw APIError.unauthorized("Send a token: Authorization: Bearer <JWT>.") }
        return caller
    }

    /// An audit event for an API call: the actor is the token's `sub`, with ids only.
    func auditAPI(_ action: AuditEvent.Action, _ subject: AuditEvent.Subject, on db: (any Database)? = nil) async throws {
        let caller = try requireAPICaller()
        try await AuditEvent(
            actorID: "api:" + caller.subject, actorRole: "api", action: action, subject: subject, requestID: requestID,
            at: application.clock.now()
        ).create(on: db ?? self.db(.primary))
    }
}

extension Application {
    /// Loads the API's keys into Vapor's JWT key collection.
    func configureAPIKeys(_ settings: APISettings) async throws {
        if let secret = settings.hs256Secret {
            await jwt.keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        }
        for key in settings.publicKeys {
            switch key.algorithm {
            case .es256: await jwt.keys.add(ecdsa: try ES256PublicKey(pem: key.pem), kid: JWKIdentifier(string: key.kid))
            case .rs256:
                await jwt.keys.add(
                    rsa: try Insecure.RSA.PublicKey(pem: key.pem), digestAlgorithm: .sha256, kid: JWKIdentifier(string: key.kid))
            }
        }
    }
}
