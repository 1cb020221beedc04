import Foundation
import Vapor

/// Counts and times every request for `/metrics`, and writes one log line per request with
/// the request id, method, route pattern, status and duration. Never the path or the query
/// string: those can carry names and email addresses (a staff search), and P10 keeps personal
/// data out of the logs.
struct RequestObserverMiddleware: AsyncMiddleware {
    let metrics: AppMetrics
    let logger: Logger
    /// `info` for the JSON logs a shipper collects; `debug` for the plain logs of `local`.
    let level: Logger.Level

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let clock = ContinuousClock()
        let start = clock.now
        metrics.requestStarted()
        do {
            let response = try await next.respond(to: request)
            finish(request, status: response.status.code, elapsed: clock.now - start)
            return response
        } catch {
            finish(request, status: (error as? any AbortError)?.status.code ?? 500, elapsed: clock.now - start)
            throw error
        }
    }

    private func finish(_ request: Request, status: UInt, elapsed: Duration) {
        let route = Self.pattern(request)
        metrics.requestFinished(route: route, method: request.method.rawValue, status: status, duration: elapsed)
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        logger.log(
            level: level, "request",
            metadata: [
                "request_id": .string(request.requestID),
                "method": .string(request.method.rawValue),
                "route": .string(route),
                "status": .stringConvertible(status),
                "duration_ms": .string(String(format: "%.1f", milliseconds)),
            ])
    }

    /// `/staff/households/:id` for a matched route; `static` for a file from `Public/`;
    /// `unmatched` for anything else (a 404), so odd paths cannot grow the label set.
    static func pattern(_ request: Request) -> String {
        if let route = request.route {
            return "/" + route.path.map(\.description).joined(separator: "/")
        }
        return request.storage[ServedStaticFileKey.self] == true ? "static" : "unmatched"
    }
}

/// Set by `StaticFilesMiddleware` when it answers, for the route label.
enum ServedStaticFileKey: StorageKey { typealias Value = Bool }
