/// Variables visible at one point of a render. jinja2 gives each loop iteration and each macro call a
/// scope of its own, whose `set`s vanish when it ends; `if` blocks share their enclosing scope.
final class TemplateScope {
    private var variables: [String: TemplateValue] = [:]
    private let parent: TemplateScope?

    init(parent: TemplateScope?, variables: [String: TemplateValue] = [:]) {
        self.parent = parent
        self.variables = variables
    }

    func lookup(_ name: String) -> TemplateValue? {
        var scope: TemplateScope? = self
        while let current = scope {
            if let value = current.variables[name] { return value }
            scope = current.parent
        }
        return nil
    }

    func set(_ name: String, _ value: TemplateValue) {
        variables[name] = value
    }
}
