import Vapor

/// An error the resident can be told about: its status and the message key of its page.
public protocol PageError: Error {
    var status: HTTPResponseStatus { get }
    var messageKey: String { get }
}

/// Errors raised by the platform itself, mapped to statuses at the edge (style 11).
public enum PlatformError: PageError, Equatable {
    case csrfRejected
    case crossSiteRequest

    public var status: HTTPResponseStatus {
        switch self {
        case .csrfRejected, .crossSiteRequest: .forbidden
        }
    }

    public var messageKey: String {
        switch self {
        case .csrfRejected: "error.csrf"
        case .crossSiteRequest: "error.cross_site"
        }
    }
}
