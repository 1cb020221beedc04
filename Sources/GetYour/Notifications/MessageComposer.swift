import Foundation

/// Turns outbox rows into what a person reads (P8): texts from the message files in the
/// person's language, the city's contact details at the end of every email.
struct MessageComposer {
    let messages: Messages
    let contact: CityContact

    struct Email: Equatable {
        let subject: String
        let text: String
        let html: String
    }

    /// One email for one or more messages to the same person: a greeting, each message's
    /// paragraph(s) in the order they were queued, then how to reach the city.
    func email(_ parts: [(kind: NotificationKind, data: MessageData)], language: Language) -> Email {
        let name = parts.first { !$0.data.name.isEmpty }?.data.name ?? ""
        let subject =
            parts.count == 1
            ? messages.text(parts[0].kind.template + ".subject", language, parts[0].data.arguments)
            : messages.text("notify.batch_subject", language)
        var paragraphs = [messages.text(name.isEmpty ? "notify.greeting_anonymous" : "notify.greeting", language, [name])]
        for part in parts {
            // The same news twice (someone tried to sign up with this address 20 times) is said once.
            let paragraph = messages.text(part.kind.template + ".body", language, part.data.arguments)
            if !paragraphs.contains(paragraph) { paragraphs.append(paragraph) }
        }
        paragraphs.append(messages.text("notify.footer", language, [contact.email, contact.phone]))
        let text = paragraphs.joined(separator: "\n\n")
        return Email(subject: subject, text: text, html: Self.html(subject: subject, paragraphs: paragraphs, language: language))
    }

    /// A text message: short (one SMS segment where the text allows), no greeting.
    func text(_ kind: NotificationKind, _ data: MessageData, language: Language) -> String {
        messages.text(kind.template + ".sms", language, data.arguments)
    }

    /// The same paragraphs as HTML: every value escaped, web addresses as links, lines
    /// starting with "- " as a list.
    static func html(subject: String, paragraphs: [String], language: Language) -> String {
        var body = ""
        for paragraph in paragraphs {
            for block in paragraph.components(separatedBy: "\n\n") {
                let lines = block.components(separatedBy: "\n")
                if lines.allSatisfy({ $0.hasPrefix("- ") }) {
                    body += "<ul>" + lines.map { "<li>" + inline(String($0.dropFirst(2))) + "</li>" }.joined() + "</ul>\n"
                } else {
                    body += "<p>" + lines.map(inline).joined(separator: "<br>") + "</p>\n"
                }
            }
        }
        return """
            <!doctype html>
            <html lang="\(language.rawValue)"><head><meta charset="utf-8"><title>\(escape(subject))</title></head>
            <body style="font-family: Arial, sans-serif; font-size: 16px; line-height: 1.5; color: #1b1b1b; max-width: 40em;">
            \(body)</body></html>
            """
    }

    private static func inline(_ line: String) -> String {
        line.split(separator: " ", omittingEmptySubsequences: false).map { word in
            let text = String(word)
            guard text.hasPrefix("https://") || text.hasPrefix("http://") else { return escape(text) }
            return "<a href=\"\(escape(text))\">\(escape(text))</a>"
        }.joined(separator: " ")
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
