import Fluent
import Vapor

enum CurrentUserKey: StorageKey { typealias Value = User }

extension Request {
    /// The signed-in person; set by `RequireSignIn`. Reading it on a public route is a bug.
    var currentUser: User {
        get throws {
            guard let user = storage[CurrentUserKey.self] else { throw Abort(.unauthorized) }
            return user
        }
    }
}

/// Lets a request through only for a signed-in, non-archived person with one of `roles`
/// (P1: roles are enforced on the server on every request). Anyone else signed out goes to
/// the sign-in page and comes back afterwards; a timed-out session is told why.
struct RequireSignIn: AsyncMiddleware {
    let roles: Set<User.Role>

    static let residents = RequireSignIn(roles: [.resident])
    static let anyone = RequireSignIn(roles: Set(User.Role.allCases))
    static let staff = RequireSignIn(roles: [.verifier, .coordinator, .admin])

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let userID = request.browserSession.userID,
            let user = try await User.find(userID, on: request.db(.primary)), !user.archived
        else {
            request.browserSession.destroy()
            return request.redirect(
                to: SignInController.loginURL(next: request.url.path, expired: request.sessionExpired), redirectType: .normal)
        }
        guard roles.contains(user.role) else { throw Abort(.forbidden) }
        request.storage[CurrentUserKey.self] = user
        request.analyticsRole = user.role.rawValue
        return try await next.respond(to: request)
    }
}
