import Foundation
import JWT
import Vapor

/// `getyour api-token --sub NAME --roles program:slug[,…] --ttl 15m`: prints a partner token
/// signed with the HS256 secret (`GETYOUR_API_JWT_HS256_SECRET`), for operators and tests.
/// The lifetime may not exceed `api.max_token_minutes`.
struct APITokenCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "sub", help: "Who the token is for (a department's system), e.g. recreation-dept") var sub: String?
        @Option(name: "roles", help: "admin, or program:<slug>[,program:<slug>…]") var roles: String?
        @Option(name: "ttl", help: "Lifetime: 15m, 1h, 90s (default 15m)") var ttl: String?
    }

    var help: String { "Prints a signed partner-API token (HS256, from GETYOUR_API_JWT_HS256_SECRET)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        context.console.print(
            try await Self.token(context.application, sub: signature.sub, roles: signature.roles, ttl: signature.ttl ?? "15m"))
    }

    /// The signed token, or a `CommandError` naming what is wrong.
    static func token(_ app: Application, sub: String?, roles: String?, ttl: String) async throws -> String {
        guard app.settings.api.hs256Secret != nil else {
            throw CommandError.invalidArgument("GETYOUR_API_JWT_HS256_SECRET is not set: there is no key to sign with")
        }
        guard let sub = sub?.trimmingCharacters(in: .whitespaces), !sub.isEmpty, sub.count <= 100 else {
            throw CommandError.invalidArgument("--sub NAME is needed (at most 100 characters)")
        }
        let roles = (roles ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !roles.isEmpty, roles.allSatisfy({ $0 == "admin" || ($0.hasPrefix("program:") && $0.count > "program:".count) }) else {
            throw CommandError.invalidArgument("--roles must be admin or program:<slug>, separated by commas")
        }
        guard let lifetime = duration(ttl), lifetime > 0 else {
            throw CommandError.invalidArgument("--ttl must look like 15m, 1h or 90s")
        }
        guard lifetime <= app.settings.api.maxTokenLifetime else {
            throw CommandError.invalidArgument(
                "--ttl is longer than GETYOUR_API_MAX_TOKEN_MINUTES (\(Int(app.settings.api.maxTokenLifetime / 60)) minutes)")
        }
        let now = app.clock.now()
        let claims = APIClaims(
            sub: .init(value: sub), exp: .init(value: now.addingTimeInterval(lifetime)), nbf: nil, iat: .init(value: now),
            iss: app.settings.api.issuer.map { .init(value: $0) }, aud: app.settings.api.audience.map { .init(value: [$0]) }, roles: roles)
        return try await app.jwt.keys.sign(claims)
    }

    /// `90s`, `15m`, `1h` in seconds.
    static func duration(_ text: String) -> TimeInterval? {
        guard let unit = text.last, let number = Double(text.dropLast()) else { return nil }
        switch unit {
        case "s": return number
        case "m": return number * 60
        case "h": return number * 3600
        default: return nil
        }
    }
}
