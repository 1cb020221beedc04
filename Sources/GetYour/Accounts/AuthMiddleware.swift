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
///
/// Staff count as signed in only once their second factor is proved (P10): until then every
/// page but the two-factor ones sends them to set it up or to enter a code.
struct RequireSignIn: AsyncMiddleware {
    let roles: Set<User.Role>
    var secondFactorPending = false
    /// What a signed-in person without one of `roles` gets: 404 keeps `/staff` invisible to
    /// residents (P1), 403 tells staff the page exists but is not theirs.
    var refusal: HTTPResponseStatus = .forbidden

    static let residents = RequireSignIn(roles: [.resident])
    static let anyone = RequireSignIn(roles: Set(User.Role.allCases))
    static let staff = RequireSignIn(roles: [.verifier, .coordinator, .admin], refusal: .notFound)
    static let admins = RequireSignIn(roles: [.admin], refusal: .notFound)
    /// Verification work: verifiers and admins (a coordinator gets 403, a resident 404).
    static let verifiers = RequireSignIn(roles: [.verifier, .admin], refusal: .notFound)
    /// The two-factor pages themselves, reachable after the password alone.
    static let staffProvingSecondFactor = RequireSignIn(
        roles: [.verifier, .coordinator, .admin], secondFactorPending: true, refusal: .notFound)

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let userID = request.browserSession.userID,
            let user = try await User.find(userID, on: request.db(.primary)), !user.archived
        else {
            request.browserSession.destroy()
            return request.redirect(
                to: SignInController.loginURL(next: request.url.path, expired: request.sessionExpired), redirectType: .normal)
        }
        guard roles.contains(user.role) else {
            // Residents never learn that staff pages exist; staff see a 403 (a security event).
            throw Abort(user.role.isStaff ? .forbidden : refusal)
        }
        if user.role.isStaff, !secondFactorPending, !TwoFactorController.isProved(request) {
            return request.redirect(to: TwoFactorController.pendingDestination(user), redirectType: .normal)
        }
        request.storage[CurrentUserKey.self] = user
        request.analyticsRole = user.role.rawValue
        return try await next.respond(to: request)
    }
}
