// The syntax tree the parser builds and the compiler walks. Every node carries its location.

indirect enum Expr {
    case literal(Value, SourceLoc)
    /// An interpolated string: literal text and expressions with optional format specs.
    case interpolated([InterpolationPart], SourceLoc)
    case name(String, SourceLoc)
    case list([Expr], SourceLoc)
    case dict([(Expr, Expr)], SourceLoc)
    case unary(UnaryOp, Expr, SourceLoc)
    case binary(BinaryOp, Expr, Expr, SourceLoc)
    case and(Expr, Expr, SourceLoc)
    case or(Expr, Expr, SourceLoc)
    case not(Expr, SourceLoc)
    case call(Expr, [Argument], SourceLoc)
    case member(Expr, String, SourceLoc)
    case index(Expr, Expr, SourceLoc)
    case slice(Expr, Expr?, Expr?, Expr?, SourceLoc)
    case function(FunctionDecl)
    /// `if` used as a value; the else branch may be another `if`.
    case ifExpr(Expr, [Stmt], [Stmt]?, SourceLoc)

    var loc: SourceLoc {
        switch self {
        case .literal(_, let l), .interpolated(_, let l), .name(_, let l), .list(_, let l), .dict(_, let l),
             .unary(_, _, let l), .binary(_, _, _, let l), .and(_, _, let l), .or(_, _, let l), .not(_, let l),
             .call(_, _, let l), .member(_, _, let l), .index(_, _, let l), .slice(_, _, _, _, let l),
             .ifExpr(_, _, _, let l):
            return l
        case .function(let f): return f.loc
        }
    }
}

enum InterpolationPart {
    case text(String)
    case expr(Expr, FormatSpec?)
}

enum UnaryOp { case negate, plus }

enum BinaryOp: String {
    case add = "+", sub = "-", mul = "*", div = "/", floorDiv = "//", mod = "%", pow = "**"
    case eq = "==", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">="
    case `in` = "in", notIn = "not in"

    var isComparison: Bool {
        switch self {
        case .eq, .ne, .lt, .le, .gt, .ge, .in, .notIn: return true
        default: return false
        }
    }
}

struct Argument {
    enum Kind { case positional, named(String), spread, spreadNamed }
    let kind: Kind
    let value: Expr
    let loc: SourceLoc
}

struct ParameterDecl {
    enum Kind { case positional, rest, keywordOnly, restNamed }
    let name: String
    let kind: Kind
    let defaultValue: Expr?
    let loc: SourceLoc
}

final class FunctionDecl {
    /// nil for lambdas.
    let name: String?
    let params: [ParameterDecl]
    let body: [Stmt]
    /// Arrow lambdas (`x => e`) have an expression body.
    let expressionBody: Expr?
    let doc: String?
    let loc: SourceLoc

    init(name: String?, params: [ParameterDecl], body: [Stmt], expressionBody: Expr?, doc: String?, loc: SourceLoc) {
        self.name = name
        self.params = params
        self.body = body
        self.expressionBody = expressionBody
        self.doc = doc
        self.loc = loc
    }
}

indirect enum Stmt {
    case expr(Expr)
    /// `a = e`, `a[i] = e`, `a.b = e`; several targets unpack a list.
    case assign([Expr], Expr, SourceLoc)
    case compoundAssign(BinaryOp, Expr, Expr, SourceLoc)
    case function(FunctionDecl)
    case ifStmt(Expr, [Stmt], [Stmt]?, SourceLoc)
    case whileStmt(Expr, [Stmt], SourceLoc)
    case forStmt([(String, SourceLoc)], Expr, [Stmt], SourceLoc)
    case breakStmt(SourceLoc)
    case continueStmt(SourceLoc)
    case returnStmt(Expr?, SourceLoc)
    case importStmt(String, SourceLoc)
    case tryStmt([Stmt], (String, SourceLoc)?, [Stmt], SourceLoc)
    case assertStmt(Expr, Expr?, SourceLoc)
    case global([(String, SourceLoc)], SourceLoc)
    case param(String, Expr, String?, SourceLoc)

    var loc: SourceLoc {
        switch self {
        case .expr(let e): return e.loc
        case .assign(_, _, let l), .compoundAssign(_, _, _, let l), .ifStmt(_, _, _, let l), .whileStmt(_, _, let l),
             .forStmt(_, _, _, let l), .breakStmt(let l), .continueStmt(let l), .returnStmt(_, let l),
             .importStmt(_, let l), .tryStmt(_, _, _, let l), .assertStmt(_, _, let l), .global(_, let l),
             .param(_, _, _, let l):
            return l
        case .function(let f): return f.loc
        }
    }
}
