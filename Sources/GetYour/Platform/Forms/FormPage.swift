import Vapor

/// The error summary at the top of a form page (`partials/error-summary`).
struct ErrorSummary: Encodable, Sendable {
    let hasErrors: Bool
    let formErrors: [ErrorSummaryItem]

    init(_ request: Request, _ errors: FormErrors) {
        self.hasErrors = !errors.isEmpty
        self.formErrors = errors.summary(request)
    }
}

extension FormField {
    /// A text-like input with its typed value and (resolved) error.
    static func input(
        _ name: String, label: String, hint: String? = nil, type: String = "text", autocomplete: String? = nil,
        inputmode: String? = nil, required: Bool = true, value: String? = nil, errors: [String: String]
    ) -> FormField {
        FormField(
            name: name, labelKey: label, hintKey: hint, value: value ?? "", error: errors[name], type: type,
            autocomplete: autocomplete, inputmode: inputmode, required: required)
    }

    /// A multi-line text area (`partials/field-textarea`).
    static func textarea(_ name: String, label: String, hint: String? = nil, value: String? = nil, errors: [String: String]) -> FormField {
        FormField(name: name, labelKey: label, hintKey: hint, value: value ?? "", error: errors[name], type: "textarea")
    }

    /// A radio or checkbox group; `selected` holds the checked values.
    static func choice(
        _ name: String, label: String, hint: String? = nil, options: [(value: String, label: String)],
        selected: Set<String>, errors: [String: String]
    ) -> FormField {
        FormField(
            name: name, labelKey: label, hintKey: hint, error: errors[name],
            options: options.map { Option(value: $0.value, labelKey: $0.label, checked: selected.contains($0.value)) })
    }
}

extension View {
    /// The view with a status: 422 for a form with errors (P3), else 200.
    func response(_ status: HTTPResponseStatus, for request: Request) async throws -> Response {
        try await encodeResponse(status: status, for: request)
    }
}
