import Foundation
import Vapor

/// An answer of the partner API that is not a success: JSON
/// `{"code": "…", "message": "…", "request_id": "…"}` with a stable `code` (`ref/api.md`).
struct APIError: Error, Sendable {
    enum Code: String, Sendable, CaseIterable {
        case unauthorized
        case tokenExpired = "token_expired"
        case forbidden
        case notFound = "not_found"
        case invalidRequest = "invalid_request"
        case conflict
        case rateLimited = "rate_limited"
        case internalError = "internal_error"
    }

    let status: HTTPResponseStatus
    let code: Code
    let message: String

    static func unauthorized(_ message: String) -> APIError { APIError(status: .unauthorized, code: .unauthorized, message: message) }
    static func forbidden(_ message: String) -> APIError { APIError(status: .forbidden, code: .forbidden, message: message) }
    static func notFound(_ message: String = "There is nothing at this address for you.") -> APIError {
        APIError(status: .notFound, code: .notFound, message: message)
    }
    static func invalid(_ message: String) -> APIError { APIError(status: .badRequest, code: .invalidRequest, message: message) }
}

/// The API's error layer (every `/api/` request, through `APIOnly` in `configure`): every
/// error, whatever threw it, including an address no route matches, becomes the JSON above,
/// never an HTML page. Unexpected errors are logged with the request id and answered 500
/// without details.
struct APIErrorMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch let error as APIError {
            return Self.response(error, request)
        } catch let abort as any AbortError {
            let code: APIError.Code =
                switch abort.status {
                case .notFound, .methodNotAllowed: .notFound
                case .unauthorized: .unauthorized
                case .forbidden: .forbidden
                case .conflict: .conflict
                case .tooManyRequests: .rateLimited
                case .badRequest, .unprocessableEntity, .payloadTooLarge, .unsupportedMediaType: .invalidRequest
                default: .internalError
                }
            let status: HTTPResponseStatus = code == .internalError ? .internalServerError : abort.status
            if code == .internalError { request.logger.error("api request failed", metadata: ["status": "\(abort.status.code)"]) }
            let message = code == .internalError ? "Something went wrong on our side." : abort.reason
            return Self.response(APIError(status: status, code: code, message: message), request)
        } catch is DecodingError {
            return Self.response(.invalid("The request body is not the JSON this endpoint expects."), request)
        } catch {
            request.logger.error("api request failed", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            return Self.response(
                APIError(status: .internalServerError, code: .internalError, message: "Something went wrong on our side."), request)
        }
    }

    static func response(_ error: APIError, _ request: Request) -> Response {
        var headers = HTTPHeaders([("Content-Type", "application/json; charset=utf-8"), ("Cache-Control", "no-store")])
        if error.status == .unauthorized { headers.add(name: .wwwAuthenticate, value: "Bearer") }
        if error.status == .tooManyRequests { headers.add(name: .retryAfter, value: "60") }
        let body: [String: String] = ["code": error.code.rawValue, "message": error.message, "request_id": request.requestID]
        let data = (try? JSONEncoder().encode(body)) ?? Data()
        return Response(status: error.status, headers: headers, body: .init(data: data))
    }
}

/// Lets a browser-only middleware (sessions, CSRF, HTML error pages, language cookie) pass
/// the partner API by: `/api/` requests go straight on to the API group's own middleware.
struct BrowserOnly: AsyncMiddleware {
    let middleware: any AsyncMiddleware

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if APIRoutes.isAPI(request.url.path) { return try await next.respond(to: request) }
        return try await middleware.respond(to: request, chainingTo: next)
    }
}

/// The other way round: a middleware for `/api/` requests only (the API's JSON error layer in
/// the global chain, so an address or method no route matches is JSON too).
struct APIOnly: AsyncMiddleware {
    let middleware: any AsyncMiddleware

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard APIRoutes.isAPI(request.url.path) else { return try await next.respond(to: request) }
        return try await middleware.respond(to: request, chainingTo: next)
    }
}
