import Foundation
import NIOCore
import Vapor

/// SendGrid v3 Mail Send (`POST /v3/mail/send`, bearer API key, JSON; 202 when accepted).
/// Click and open tracking are turned off: SendGrid would otherwise rewrite every link
/// through its own servers and add a tracking pixel to mail about people's benefits.
struct SendGridMailer: Mailer {
    let settings: NotificationSettings
    let client: any Client
    let timeout: TimeAmount

    struct Body: Content {
        struct Address: Content {
            let email: String
            var name: String?
        }
        struct Personalization: Content { let to: [Address] }
        struct Part: Content {
            let type: String
            let value: String
        }
        struct Tracking: Content {
            struct Switch: Content {
                let enable: Bool
                var enable_text: Bool?
            }
            let click_tracking: Switch
            let open_tracking: Switch
        }
        let personalizations: [Personalization]
        let from: Address
        let reply_to: Address?
        let subject: String
        let content: [Part]
        let tracking_settings: Tracking
    }

    func send(_ email: OutgoingEmail) async throws {
        guard ContactRules.isEmail(email.to) else { throw DeliveryError.permanent("invalid_address") }
        let body = Body(
            personalizations: [.init(to: [.init(email: email.to)])],
            from: .init(email: settings.fromEmail, name: settings.fromName),
            reply_to: settings.replyTo.isEmpty ? nil : .init(email: settings.replyTo),
            subject: email.subject,
            content: [.init(type: "text/plain", value: email.text), .init(type: "text/html", value: email.html)],
            tracking_settings: .init(click_tracking: .init(enable: false, enable_text: false), open_tracking: .init(enable: false)))
        var request = ClientRequest(
            method: .POST, url: URI(string: settings.sendgridURL.trimmingTrailingSlashes + "/v3/mail/send"),
            headers: ["Authorization": "Bearer \(settings.sendgridAPIKey)"], body: nil, timeout: timeout)
        try request.content.encode(body, as: .json)
        let response: ClientResponse
        do { response = try await client.send(request) } catch { throw DeliveryError.unanswered(error) }
        try DeliveryError.check(response.status)
    }
}

/// Twilio Programmable Messaging (`POST /2010-04-01/Accounts/{sid}/Messages.json`, HTTP basic
/// auth with the account SID and auth token, form body `To`, `From` or `MessagingServiceSid`,
/// `Body`; 201 when queued).
struct TwilioTexter: Texter {
    let settings: NotificationSettings
    let client: any Client
    let timeout: TimeAmount

    func send(_ text: OutgoingText) async throws {
        guard let number = Self.e164(text.to) else { throw DeliveryError.permanent("invalid_address") }
        var form = ["To": number, "Body": text.body]
        if settings.twilioFrom.hasPrefix("MG") {
            form["MessagingServiceSid"] = settings.twilioFrom
        } else {
            form["From"] = settings.twilioFrom
        }
        let credentials = Data("\(settings.twilioAccountSID):\(settings.twilioAuthToken)".utf8).base64EncodedString()
        let path = "/2010-04-01/Accounts/\(settings.twilioAccountSID)/Messages.json"
        var request = ClientRequest(
            method: .POST, url: URI(string: settings.twilioURL.trimmingTrailingSlashes + path),
            headers: ["Authorization": "Basic \(credentials)"], body: nil, timeout: timeout)
        try request.content.encode(form, as: .urlEncodedForm)
        let response: ClientResponse
        do { response = try await client.send(request) } catch { throw DeliveryError.unanswered(error) }
        try DeliveryError.check(response.status)
    }

    /// A US number in the form Twilio needs (`+19705550142`), or nil when it is not one.
    static func e164(_ phone: String) -> String? {
        let digits = phone.filter(\.isASCII).filter(\.isNumber)
        switch digits.count {
        case 10 where !digits.hasPrefix("0") && !digits.hasPrefix("1"): return "+1" + digits
        case 11 where digits.hasPrefix("1"): return "+" + digits
        default: return nil
        }
    }
}

extension String {
    var trimmingTrailingSlashes: String {
        var text = self
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }
}
