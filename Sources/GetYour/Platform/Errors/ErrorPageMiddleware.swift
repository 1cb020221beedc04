import Fluent
import NIOCore
import PostgresNIO
import Vapor

/// Turns every thrown error into an HTML page with the real status and the request id
/// (style 10). Details of the error appear only where `app.show_error_details` is on (never
/// in production); 5xx are logged as errors.
struct ErrorPageMiddleware: AsyncMiddleware {
    let showDetails: Bool

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            let response = try await next.respond(to: request)
            if response.status == .notFound, response.body.count == 0 {
                return await render(status: .notFound, messageKey: "error.404", error: nil, for: request)
            }
            return response
        } catch {
            let (status, key, headers) = Self.classify(error, request: request)
            if status == .forbidden { Self.recordRefusal(error, request) }
            if status.code >= 500 {
                request.logger.error(
                    "request failed", metadata: ["status": "\(status.code)", "error": "\(String(reflecting: type(of: error)))"])
                request.logger.debug("\(String(reflecting: error))")
            }
            let response = await render(status: status, messageKey: key, error: error, for: request)
            response.headers.add(contentsOf: headers)
            return response
        }
    }

    static func classify(_ error: any Error, request: Request) -> (HTTPResponseStatus, String, HTTPHeaders) {
        switch error {
        case let page as any PageError:
            return (page.status, page.messageKey, [:])
        case let abort as any AbortError:
            if abort.status == .notFound, request.route == nil, let allowed = MethodMatcher.allowedMethods(for: request), !allowed.isEmpty {
                return (.methodNotAllowed, "error.405", ["Allow": allowed.map(\.rawValue).joined(separator: ", ")])
            }
            return (abort.status, messageKey(for: abort.status), [:])
        case is DecodingError:
            return (.badRequest, "error.400", [:])
        case is ConnectionPoolTimeoutError, is PSQLError, is NIOConnectionError, is ChannelError:
            return (.serviceUnavailable, "error.503", [:])
        default:
            return (.internalServerError, "error.500", [:])
        }
    }

    /// Every 403 is a security event: CSRF and cross-site refusals with their own kind.
    static func recordRefusal(_ error: any Error, _ request: Request) {
        switch error as? PlatformError {
        case .csrfRejected?: request.securityEvent(.csrfRejected, reason: "csrf_token")
        case .crossSiteRequest?: request.securityEvent(.crossSiteRejected, reason: "origin")
        default: request.securityEvent(.forbidden, reason: "role", userID: request.browserSession.userID)
        }
    }

    static func messageKey(for status: HTTPResponseStatus) -> String {
        switch status.code {
        case 400, 403, 404, 405, 413, 422, 429, 503: "error.\(status.code)"
        case 500...: "error.500"
        default: "error.400"
        }
    }

    private func render(status: HTTPResponseStatus, messageKey: String, error: (any Error)?, for request: Request) async -> Response {
        let page = ErrorPage(
            layout: request.layout(titleKey: "\(messageKey).title"),
            status: Int(status.code), titleKey: "\(messageKey).title", bodyKey: "\(messageKey).body",
            requestID: request.requestID,
            details: showDetails ? error.map { String(reflecting: $0) } : nil)
        do {
            let view = try await request.view.render("errors/error", page)
            let response = try await view.encodeResponse(status: status, for: request)
            return response
        } catch {
            // The template itself failed: answer in plain text rather than not at all.
            request.logger.error("error page could not be rendered")
            let response = Response(status: status, body: .init(string: "Error \(status.code). Request id: \(request.requestID)\n"))
            response.headers.contentType = .plainText
            return response
        }
    }
}

struct ErrorPage: Encodable {
    let layout: LayoutContext
    let status: Int
    let titleKey: String
    let bodyKey: String
    let requestID: String
    let details: String?
}
