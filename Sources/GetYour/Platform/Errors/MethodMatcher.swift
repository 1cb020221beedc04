import RoutingKit
import Vapor

/// Tells a 405 from a 404: which methods the app serves at a path that has no route for the
/// requested method.
enum MethodMatcher {
    static func allowedMethods(for request: Request) -> [HTTPMethod]? {
        let parts = request.url.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let methods = request.application.routes.all
            .filter { matches($0.path, parts) }
            .map(\.method)
        let names = Set(methods.map(\.rawValue)).sorted()
        return names.isEmpty ? nil : names.map { HTTPMethod(rawValue: $0) }
    }

    static func matches(_ pattern: [PathComponent], _ parts: [String]) -> Bool {
        var index = 0
        for component in pattern {
            switch component {
            case .catchall:
                return index < parts.count
            case .anything, .parameter:
                guard index < parts.count else { return false }
            case .constant(let text):
                guard index < parts.count, parts[index] == text else { return false }
            }
            index += 1
        }
        return index == parts.count
    }
}
