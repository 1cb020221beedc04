/// Named coverage flags found for an address (P5), e.g. `in_service_area`, `city_covered`.
public struct Coverage: Sendable, Equatable, Codable {
    public var flags: Set<String>

    public init(_ flags: Set<String>) {
        self.flags = flags
    }

    public static let none = Coverage([])

    /// Flags granted by an admin's exception count as if the address had them.
    public func including(exceptions: Set<String>) -> Coverage { Coverage(flags.union(exceptions)) }

    public func meets(_ requirements: Set<String>) -> Bool { requirements.isSubset(of: flags) }
}
