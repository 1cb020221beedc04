import Fluent
import Vapor

/// What staff may know about the messages sent to households (P8): kind, channel, status,
/// time and a short error code, never the recipient or the text.
struct DeliveryRow: Encodable {
    let when: String
    let kind: String
    let channel: String
    let status: String
    let attempts: Int
    let error: String?
    let householdURL: String?

    init(_ message: OutboxMessage, _ request: Request, linkHousehold: Bool = false) {
        let messages = request.application.messages, language = request.language
        when = request.dateTimeFormatter.string(from: message.sentAt ?? message.createdAt)
        kind = messages.text("delivery.kind.\(message.kind.rawValue)", language)
        channel = messages.text("delivery.channel.\(message.channel.rawValue)", language)
        status = messages.text("delivery.status.\(message.status.rawValue)", language)
        attempts = message.attempts
        error = message.lastError
        householdURL = linkHousehold ? message.householdID.map { SiteURL.staffHousehold.path($0.uuidString.lowercased()) } : nil
    }

    /// The newest messages about one household.
    static func forHousehold(_ householdID: UUID, _ request: Request) async throws -> [DeliveryRow] {
        try await OutboxMessage.query(on: request.db(.primary)).filter(\.$householdID == householdID)
            .sort(\.$createdAt, .descending).limit(50).all()
            .map { DeliveryRow($0, request) }
    }
}

/// `/staff/messages/failed` (verifiers and admins): messages that could not be delivered, so
/// someone can reach the household another way.
struct StaffMessagesController {
    struct Page: Encodable {
        let layout: LayoutContext
        let rows: [DeliveryRow]
        let hasRows: Bool
    }

    func failed(_ request: Request) async throws -> View {
        let failed = try await OutboxMessage.query(on: request.db(.primary)).filter(\.$status == .failed)
            .sort(\.$createdAt, .descending).limit(200).all()
        return try await request.view.render(
            "staff/failed-messages",
            Page(
                layout: request.layout(titleKey: "delivery.failed_title"),
                rows: failed.map { DeliveryRow($0, request, linkHousehold: true) }, hasRows: !failed.isEmpty))
    }
}
