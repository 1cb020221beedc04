import Foundation
import Vapor

#if canImport(Glibc)
    import Glibc
#endif

/// An IPv4 or IPv6 network in CIDR form (`10.0.0.0/8`, `::1/128`, or one address).
public struct IPNetwork: Sendable, Equatable, CustomStringConvertible {
    let bytes: [UInt8]
    let prefix: Int

    /// Parses `address` or `address/prefix`; nil when either part is not valid.
    public init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/", maxSplits: 1).map(String.init)
        guard let first = parts.first, let bytes = IPNetwork.parseAddress(first) else { return nil }
        let maximum = bytes.count * 8
        var prefix = maximum
        if parts.count == 2 {
            guard let value = Int(parts[1]), (0...maximum).contains(value) else { return nil }
            prefix = value
        }
        self.bytes = bytes
        self.prefix = prefix
    }

    public var description: String { "\(bytes.map(String.init).joined(separator: "."))/\(prefix)" }

    /// Whether `address` (already parsed) lies inside this network.
    func contains(_ address: [UInt8]) -> Bool {
        guard address.count == bytes.count else { return false }
        var remaining = prefix
        for index in bytes.indices where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if address[index] & mask != bytes[index] & mask { return false }
            remaining -= bits
        }
        return true
    }

    /// The address as bytes: 4 for IPv4 (and for IPv4-mapped IPv6), 16 for IPv6.
    static func parseAddress(_ text: String) -> [UInt8]? {
        var trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("["), let end = trimmed.firstIndex(of: "]") {  // "[::1]:443" as some proxies write it
            trimmed = String(trimmed[trimmed.index(after: trimmed.startIndex)..<end])
        }
        var v4 = in_addr()
        if inet_pton(AF_INET, trimmed, &v4) == 1 {
            return withUnsafeBytes(of: &v4.s_addr) { Array($0) }
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, trimmed, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        // ::ffff:a.b.c.d is an IPv4 client seen through an IPv6 socket.
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF { return Array(bytes[12...]) }
        return bytes
    }
}

/// Which address a request came from, for every per-address limit (P10).
///
/// The socket peer is the client unless it is one of the trusted proxies (or, with
/// `GETYOUR_APP_BEHIND_PROXY`, always a proxy). Then the
/// `X-Forwarded-For` chain is read from the right (each proxy appends the address it saw):
/// the first entry that is not a trusted proxy is the client. Entries to its left were
/// written by the client itself and are never believed, so a forged header escapes nothing.
public enum ClientAddress {
    /// `behindProxy` (`GETYOUR_APP_BEHIND_PROXY`): the app is reachable only through one
    /// proxy layer, so the socket peer is always that proxy, whatever its address.
    public static func resolve(peer: String?, forwardedFor: [String], trustedProxies: [IPNetwork], behindProxy: Bool = false) -> String {
        guard let peer else { return "unknown" }
        guard behindProxy || isTrusted(peer, trustedProxies) else { return peer }
        let chain = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        for entry in chain.reversed() where !isTrusted(entry, trustedProxies) {
            return entry
        }
        // Every hop is a proxy of ours: the leftmost one is as close to the client as we know.
        return chain.first ?? peer
    }

    static func isTrusted(_ address: String, _ networks: [IPNetwork]) -> Bool {
        guard let bytes = IPNetwork.parseAddress(address) else { return false }
        return networks.contains { $0.contains(bytes) }
    }
}

extension Request {
    /// The client's address for rate limits and security events (see `ClientAddress`).
    var clientAddress: String {
        if let cached = storage[ClientAddressKey.self] { return cached }
        let address = ClientAddress.resolve(
            peer: remoteAddress?.ipAddress, forwardedFor: headers[.xForwardedFor],
            trustedProxies: application.settings.trustedProxies, behindProxy: application.settings.behindProxy)
        storage[ClientAddressKey.self] = address
        return address
    }
}

private enum ClientAddressKey: StorageKey { typealias Value = String }
