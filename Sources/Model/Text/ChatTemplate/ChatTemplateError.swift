import Foundation

/// Why a chat template could not be read or rendered. Every template case names the line of the
/// template where it happened, so a user can find the construct in their `chat_template`.
public enum ChatTemplateError: Error, Equatable, CustomStringConvertible {
    /// The template is not valid Jinja (jinja2 would refuse it too).
    case syntax(line: Int, message: String)
    /// The template uses a Jinja construct this engine does not implement.
    case unsupported(line: Int, construct: String)
    /// The template called `raise_exception(message)`: the conversation is not one it accepts.
    case raised(line: Int, message: String)
    /// Rendering failed the way jinja2 would fail (an undefined value used, a type error, a refused operation).
    case render(line: Int, message: String)
    /// A model folder's template file, or a conversation file, could not be read.
    case unreadable(file: String, reason: String)
    /// The model folder has no chat template.
    case missing(folder: String)

    public var description: String {
        switch self {
        case .syntax(let line, let message): "chat template line \(line): \(message)"
        case .unsupported(let line, let construct): "chat template line \(line): \(construct) is not supported"
        case .raised(let line, let message): "chat template line \(line): the template refused the conversation: \(message)"
        case .render(let line, let message): "chat template line \(line): \(message)"
        case .unreadable(let file, let reason): "\(file): \(reason)"
        case .missing(let folder):
            "\(folder) has no chat template (neither chat_template.jinja nor a 'chat_template' in tokenizer_config.json)"
        }
    }
}

/// A failure inside the engine before the line is known; the interpreter adds the line of the
/// statement it was running when it turns this into a `ChatTemplateError`.
struct TemplateFailure: Error {
    enum Kind {
        case unsupported, raised, undefined, type, security
    }

    let kind: Kind
    let message: String

    init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    static func unsupported(_ construct: String) -> TemplateFailure { TemplateFailure(.unsupported, construct) }

    func error(line: Int) -> ChatTemplateError {
        switch kind {
        case .unsupported: .unsupported(line: line, construct: message)
        case .raised: .raised(line: line, message: message)
        case .undefined, .type, .security: .render(line: line, message: message)
        }
    }
}
