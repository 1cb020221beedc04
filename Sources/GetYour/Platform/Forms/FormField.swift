import Vapor

/// Everything a field partial needs: label, hint, the typed value, the error and the
/// attributes that make it accessible (style 8). Built by pages, rendered by
/// `Templates/partials/field-*.leaf`.
struct FormField: Encodable, Sendable {
    var name: String
    var labelKey: String
    var hintKey: String?
    var value: String = ""
    var error: String?
    var type: String = "text"
    var autocomplete: String?
    var inputmode: String?
    var required = true
    var options: [Option] = []

    /// The element id; the error summary links to it.
    var id: String { "field-" + name.replacingOccurrences(of: "_", with: "-") }

    struct Option: Encodable, Sendable {
        let value: String
        /// A message key, or empty when `label` carries data-driven text (program names).
        let labelKey: String
        var label: String?
        var hintKey: String?
        var checked: Bool

        init(value: String, labelKey: String, hintKey: String? = nil, checked: Bool) {
            self.value = value
            self.labelKey = labelKey
            self.hintKey = hintKey
            self.checked = checked
        }

        init(value: String, label: String, checked: Bool) {
            self.value = value
            self.labelKey = ""
            self.label = label
            self.checked = checked
        }
    }

    enum CodingKeys: String, CodingKey {
        case name, labelKey, hintKey, value, error, type, autocomplete, inputmode, required, options, id, describedBy
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(labelKey, forKey: .labelKey)
        try container.encodeIfPresent(hintKey, forKey: .hintKey)
        try container.encode(value, forKey: .value)
        try container.encodeIfPresent(error, forKey: .error)
        try container.encode(type, forKey: .type)
        try container.encodeIfPresent(autocomplete, forKey: .autocomplete)
        try container.encodeIfPresent(inputmode, forKey: .inputmode)
        try container.encode(required, forKey: .required)
        try container.encode(options, forKey: .options)
        try container.encode(id, forKey: .id)
        try container.encodeIfPresent(describedBy, forKey: .describedBy)
    }

    /// `aria-describedby`: the hint and the error message, when present.
    var describedBy: String? {
        let ids = [hintKey.map { _ in id + "-hint" }, error.map { _ in id + "-error" }].compactMap { $0 }
        return ids.isEmpty ? nil : ids.joined(separator: " ")
    }
}
