import Foundation
import Vapor

/// What a person typed for an address.
public struct AddressInput: Sendable, Equatable, Codable {
    public var street: String
    public var unit: String
    public var city: String
    public var state: String
    public var zip: String
}

extension AddressInput {
    /// An address as a form sent it: every part trimmed, the state in capitals.
    init(typed street: String?, unit: String?, city: String?, state: String?, zip: String?) {
        func t(_ text: String?) -> String { (text ?? "").trimmingCharacters(in: .whitespacesAndNewlines) }
        self.init(street: t(street), unit: t(unit), city: t(city), state: t(state).uppercased(), zip: t(zip))
    }
}

/// A standardised address and the coverage flags found for it (P5).
public struct VerifiedAddress: Sendable, Equatable, Codable {
    public var street: String
    public var unit: String
    public var city: String
    public var state: String
    public var zip: String
    public var coverage: Set<String>
}

/// The verifier's answer: continue, ask the person to confirm a correction, or not found.
public enum AddressVerification: Sendable, Equatable {
    case exact(VerifiedAddress)
    case suggestion(VerifiedAddress)
    case notFound
}

/// The verifier could not be reached; the resident sees "try again in a few minutes".
public struct AddressVerifierUnavailable: Error, PageError {
    public init() {}

    public var status: HTTPResponseStatus { .serviceUnavailable }
    public var messageKey: String { "error.503" }
}

/// Standardises addresses and finds their coverage (P5). `local` reads a file of address
/// points; `usps` asks the USPS Addresses API and an ArcGIS coverage layer.
public protocol AddressVerifier: Sendable {
    func verify(_ input: AddressInput) async throws -> AddressVerification
}

private enum AddressVerifierKey: StorageKey { typealias Value = any AddressVerifier }

extension Application {
    /// The configured verifier (style 13); tests swap it.
    public var addressVerifier: any AddressVerifier {
        get {
            guard let verifier = storage[AddressVerifierKey.self] else { fatalError("configure(_:) has not run") }
            return verifier
        }
        set { storage[AddressVerifierKey.self] = newValue }
    }
}
