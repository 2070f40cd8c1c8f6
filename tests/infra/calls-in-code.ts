import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * What each handler's code can ask of AWS, read from the source: the SDK commands it can reach
 * from its entry file, followed call by call (functions, methods, closures, and port methods
 * dispatched to the adapter classes the handler instantiates), turned into IAM actions and the
 * kind of resource each is authorized on. No hand list: a new `new XCommand(...)` in reachable
 * code shows up here, and a command that becomes unreachable drops out.
 *
 * It over-approximates on purpose where code is dynamic (every closure defined in reachable code
 * counts as called; an interface method reaches every instantiated class implementing it), and
 * refuses to guess where the SDK input cannot be read (it throws, naming the place).
 */

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** An IAM action and the kind of resource it is asked on, e.g. `dynamodb:Query on index`. */
export type CodeCall = `${string} on ${ResourceKind}`;
export type ResourceKind = 'table' | 'index' | 'stateMachine' | 'execution' | 'identity' | 'configuration-set' | 'template' | 'secret' | 'object' | 'event-bus';

/** IAM action prefix of each SDK package a handler may use. */
const SERVICE_PREFIXES: Record<string, string> = {
  '@aws-sdk/client-dynamodb': 'dynamodb',
  '@aws-sdk/lib-dynamodb': 'dynamodb',
  '@aws-sdk/client-sfn': 'states',
  '@aws-sdk/client-sesv2': 'ses',
  '@aws-sdk/client-s3': 's3',
  '@aws-sdk/client-secrets-manager': 'secretsmanager',
  '@aws-sdk/client-eventbridge': 'events',
};

/** The document client's commands, by the DynamoDB operation (and IAM action) each sends. */
const DOCUMENT_COMMANDS: Record<string, string> = {
  GetCommand: 'GetItem',
  PutCommand: 'PutItem',
  UpdateCommand: 'UpdateItem',
  DeleteCommand: 'DeleteItem',
  QueryCommand: 'Query',
  ScanCommand: 'Scan',
  BatchGetCommand: 'BatchGetItem',
  BatchWriteCommand: 'BatchWriteItem',
  TransactGetCommand: 'TransactGetItems',
  TransactWriteCommand: 'TransactWriteItems',
};

/** A transaction is authorized item by item: each kind of item by its own action. */
const TRANSACTION_ITEMS: Record<string, string> = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem', Get: 'GetItem' };

/** Which input field names which resource, for the commands whose resource is not the table. */
const RESOURCE_FIELDS: Record<string, ResourceKind> = {
  stateMachineArn: 'stateMachine',
  executionArn: 'execution',
  SecretId: 'secret',
  Key: 'object',
  FromEmailAddress: 'identity',
  ConfigurationSetName: 'configuration-set',
  Template: 'template',
};

interface SdkCommand {
  pkg: string;
  name: string;
  input: ts.Expression | undefined;
  where: string;
}

function loadProgram(entries: string[]) {
  const configPath = path.join(PROJECT_ROOT, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, (file) => ts.sys.readFile(file));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, PROJECT_ROOT);
  return ts.createProgram({ rootNames: entries, options: { ...parsed.options, noEmit: true } });
}

const isProjectFile = (file: ts.SourceFile) => !file.fileName.includes('/node_modules/') && file.fileName.startsWith(PROJECT_ROOT);

function packageOf(file: string): string | undefined {
  const match = /\/node_modules\/(@aws-sdk\/[^/]+)\//.exec(file);
  return match?.[1];
}

const where = (node: ts.Node) => {
  const file = node.getSourceFile();
  const { line } = file.getLineAndCharacterOfPosition(node.getStart());
  return `${path.relative(PROJECT_ROOT, file.fileName)}:${line + 1}`;
};

/** The object literal an expression stands for: itself, a parenthesised one, or a const initialised with one. */
function objectLiteralOf(checker: ts.TypeChecker, expression: ts.Expression | undefined): ts.ObjectLiteralExpression | undefined {
  if (!expression) return undefined;
  if (ts.isParenthesizedExpression(expression) || ts.isAsExpression(expression) || ts.isSatisfiesExpression(expression)) return objectLiteralOf(checker, expression.expression);
  if (ts.isObjectLiteralExpression(expression)) return expression;
  if (ts.isIdentifier(expression)) {
    const declaration = checker.getSymbolAtLocation(expression)?.valueDeclaration;
    if (declaration && ts.isVariableDeclaration(declaration)) return objectLiteralOf(checker, declaration.initializer);
  }
  return undefined;
}

/** Property names an object literal may carry, looking through spreads of object literals (`...(x && { a })`). */
function propertyNames(checker: ts.TypeChecker, literal: ts.ObjectLiteralExpression): Map<string, ts.Node> {
  const names = new Map<string, ts.Node>();
  for (const property of literal.properties) {
    if (ts.isSpreadAssignment(property)) {
      let inner: ts.Expression = property.expression;
      while (ts.isParenthesizedExpression(inner)) inner = inner.expression;
      if (ts.isBinaryExpression(inner) && inner.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken) inner = inner.right;
      const spread = objectLiteralOf(checker, inner);
      if (!spread) continue; // a spread of something else (a key object): names no resource field
      for (const [name, node] of propertyNames(checker, spread)) names.set(name, node);
      continue;
    }
    if (property.name && (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name))) names.set(property.name.text, property);
  }
  return names;
}

/**
 * Walks the code one handler runs: its entry module's top level, the modules it imports, and
 * every function that reachable code names, calls or hands on.
 */
class Reachability {
  private readonly reached = new Set<ts.Node>();
  private readonly queue: ts.Node[] = [];
  private readonly instantiated = new Set<ts.ClassLikeDeclaration>();
  /** Interface members called so far; a class instantiated later gets them dispatched too. */
  private readonly calledMembers = new Map<string, Set<ts.Declaration>>();
  readonly commands: SdkCommand[] = [];
  /** Object literals of reachable code: a transaction's items are among them. */
  readonly literals: ts.ObjectLiteralExpression[] = [];

  constructor(private readonly checker: ts.TypeChecker) {}

  run(entry: ts.SourceFile) {
    this.enqueue(entry);
    for (let next = this.queue.shift(); next; next = this.queue.shift()) this.visit(next);
    return this;
  }

  private enqueue(node: ts.Node | undefined) {
    if (!node || this.reached.has(node)) return;
    this.reached.add(node);
    this.queue.push(node);
  }

  private visit(node: ts.Node) {
    if (ts.isSourceFile(node)) return this.visitModule(node);
    if (ts.isClassLike(node)) return this.visitClass(node);
    // A function, method or accessor: its parameters' defaults and its body.
    ts.forEachChild(node, (child) => this.walk(child));
  }

  /** Module initialisation: everything at the top level but the declarations, which run when referenced. */
  private visitModule(file: ts.SourceFile) {
    for (const statement of file.statements) {
      if (ts.isImportDeclaration(statement)) {
        if (statement.importClause?.isTypeOnly) continue;
        const target = this.checker.getSymbolAtLocation(statement.moduleSpecifier)?.valueDeclaration;
        if (target && ts.isSourceFile(target) && isProjectFile(target)) this.enqueue(target);
        continue;
      }
      if (ts.isExportDeclaration(statement)) {
        if (statement.isTypeOnly || !statement.moduleSpecifier) continue;
        const target = this.checker.getSymbolAtLocation(statement.moduleSpecifier)?.valueDeclaration;
        if (target && ts.isSourceFile(target) && isProjectFile(target)) this.enqueue(target);
        continue;
      }
      if (ts.isFunctionDeclaration(statement) || ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) continue;
      if (ts.isClassDeclaration(statement)) {
        // Static initialisers run when the module loads.
        for (const member of statement.members) if (ts.isPropertyDeclaration(member) && member.initializer && hasStatic(member)) this.walk(member.initializer);
        continue;
      }
      if (ts.isVariableStatement(statement)) {
        for (const declaration of statement.declarationList.declarations) {
          if (declaration.initializer && !isFunctionLike(declaration.initializer)) this.walk(declaration.initializer);
        }
        continue;
      }
      this.walk(statement);
    }
  }

  private visitClass(declaration: ts.ClassLikeDeclaration) {
    for (const member of declaration.members) {
      if (ts.isConstructorDeclaration(member)) this.enqueue(member);
      if (ts.isPropertyDeclaration(member) && member.initializer && !hasStatic(member)) this.walk(member.initializer);
    }
    const base = declaration.heritageClauses?.find((clause) => clause.token === ts.SyntaxKind.ExtendsKeyword)?.types[0];
    if (base) this.instantiate(this.declarationOf(base.expression));
    // Interface members called before this class appeared now reach its methods too.
    for (const [name, owners] of this.calledMembers) for (const owner of owners) this.dispatch(declaration, name, owner);
  }

  private instantiate(declaration: ts.Declaration | undefined) {
    if (!declaration || !ts.isClassLike(declaration) || !isProjectFile(declaration.getSourceFile())) return;
    if (this.instantiated.has(declaration)) return;
    this.instantiated.add(declaration);
    this.enqueue(declaration);
  }

  private declarationOf(expression: ts.Node): ts.Declaration | undefined {
    let symbol = this.checker.getSymbolAtLocation(expression);
    if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = this.checker.getAliasedSymbol(symbol);
    return symbol?.valueDeclaration ?? symbol?.declarations?.[0];
  }

  /** Every node inside reachable code: names resolve to what they reach, `new` instantiates, closures count as called. */
  private walk(node: ts.Node) {
    if (ts.isTypeNode(node) || ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) return;
    if (ts.isObjectLiteralExpression(node)) this.literals.push(node);
    if (ts.isNewExpression(node)) this.onNew(node);
    if (ts.isIdentifier(node) || ts.isPrivateIdentifier(node)) this.onName(node);
    ts.forEachChild(node, (child) => this.walk(child));
  }

  private onNew(node: ts.NewExpression) {
    const declaration = this.declarationOf(node.expression);
    if (!declaration) return;
    const file = declaration.getSourceFile();
    const pkg = packageOf(file.fileName);
    if (pkg) {
      const name = (declaration as ts.ClassDeclaration).name?.text ?? '';
      if (name.endsWith('Command')) this.commands.push({ pkg, name, input: node.arguments?.[0], where: where(node) });
      return;
    }
    this.instantiate(declaration);
  }

  private onName(node: ts.Identifier | ts.PrivateIdentifier) {
    let symbol = this.checker.getSymbolAtLocation(node);
    if (!symbol) return;
    if (symbol.flags & ts.SymbolFlags.Alias) symbol = this.checker.getAliasedSymbol(symbol);
    for (const declaration of symbol.declarations ?? []) {
      const file = declaration.getSourceFile();
      if (!isProjectFile(file)) continue;
      if (ts.isFunctionDeclaration(declaration) || ts.isMethodDeclaration(declaration) || ts.isGetAccessorDeclaration(declaration) || ts.isSetAccessorDeclaration(declaration)) {
        this.enqueue(declaration);
        // A method reached through a class: the class is in use, so is the module it lives in.
        this.enqueue(file);
      } else if (ts.isVariableDeclaration(declaration)) {
        if (declaration.initializer && isFunctionLike(declaration.initializer)) this.enqueue(declaration.initializer);
        this.enqueue(file);
      } else if (ts.isPropertyDeclaration(declaration) && declaration.initializer && isFunctionLike(declaration.initializer)) {
        this.enqueue(declaration.initializer);
      } else if (ts.isMethodSignature(declaration) || ts.isPropertySignature(declaration)) {
        this.memberCalled(symbol.name, declaration);
      } else if (ts.isClassDeclaration(declaration)) {
        this.enqueue(file);
      }
    }
  }

  /** A port's method (an interface member): every instantiated class implementing that interface answers it. */
  private memberCalled(name: string, member: ts.Declaration) {
    const owner = member.parent;
    if (!owner || !ts.isInterfaceDeclaration(owner)) return;
    const owners = this.calledMembers.get(name) ?? new Set();
    if (owners.has(owner)) return;
    owners.add(owner);
    this.calledMembers.set(name, owners);
    for (const declaration of this.instantiated) this.dispatch(declaration, name, owner);
  }

  private dispatch(declaration: ts.ClassLikeDeclaration, name: string, owner: ts.Declaration) {
    if (!this.implementsInterface(declaration, owner)) return;
    for (const member of declaration.members) {
      if (member.name && ts.isIdentifier(member.name) && member.name.text === name) {
        if (ts.isPropertyDeclaration(member)) {
          if (member.initializer && isFunctionLike(member.initializer)) this.enqueue(member.initializer);
        } else this.enqueue(member);
      }
    }
  }

  private implementsInterface(declaration: ts.ClassLikeDeclaration, owner: ts.Declaration): boolean {
    for (const clause of declaration.heritageClauses ?? []) {
      for (const type of clause.types) {
        const target = this.declarationOf(type.expression);
        if (target === owner) return true;
        if (target && ts.isClassLike(target) && this.implementsInterface(target, owner)) return true;
        if (target && ts.isInterfaceDeclaration(target) && this.interfaceExtends(target, owner)) return true;
      }
    }
    return false;
  }

  private interfaceExtends(declaration: ts.InterfaceDeclaration, owner: ts.Declaration): boolean {
    for (const clause of declaration.heritageClauses ?? []) {
      for (const type of clause.types) {
        const target = this.declarationOf(type.expression);
        if (target === owner || (target && ts.isInterfaceDeclaration(target) && this.interfaceExtends(target, owner))) return true;
      }
    }
    return false;
  }
}

const isFunctionLike = (node: ts.Node) => ts.isArrowFunction(node) || ts.isFunctionExpression(node);
const hasStatic = (member: ts.ClassElement) => ts.getModifiers(member as ts.PropertyDeclaration)?.some((modifier) => modifier.kind === ts.SyntaxKind.StaticKeyword) ?? false;

/** The IAM calls one SDK command makes, read from its input. */
function callsOf(checker: ts.TypeChecker, command: SdkCommand, transactionItems: () => Set<string>): CodeCall[] {
  const prefix = SERVICE_PREFIXES[command.pkg];
  if (!prefix) throw new Error(`${command.where}: ${command.pkg} is not an SDK package this analysis knows (add its IAM prefix to SERVICE_PREFIXES)`);
  const input = objectLiteralOf(checker, command.input);
  if (prefix === 'dynamodb') {
    const operation = command.pkg === '@aws-sdk/lib-dynamodb' ? DOCUMENT_COMMANDS[command.name] : command.name.replace(/Command$/, '');
    if (!operation) throw new Error(`${command.where}: ${command.name} is not a document-client command this analysis knows`);
    if (operation === 'TransactWriteItems' || operation === 'TransactGetItems') return [...transactionItems()].map((action) => `dynamodb:${action} on table` as CodeCall);
    if (operation === 'Query' || operation === 'Scan') {
      if (!input) throw new Error(`${command.where}: cannot read the input of this ${operation} to tell whether it reads an index`);
      const index = propertyNames(checker, input).get('IndexName');
      if (!index) return [`dynamodb:${operation} on table`];
      const value = ts.isPropertyAssignment(index) ? index.initializer : undefined;
      // `IndexName: index` where index may be undefined queries the table as well.
      const type = value && checker.getTypeAtLocation(value);
      const mayBeAbsent = type ? (type.isUnion() ? type.types : [type]).some((member) => (member.flags & ts.TypeFlags.Undefined) !== 0) : false;
      return mayBeAbsent ? [`dynamodb:${operation} on index`, `dynamodb:${operation} on table`] : [`dynamodb:${operation} on index`];
    }
    return [`dynamodb:${operation} on table`];
  }
  const action = `${prefix}:${command.name.replace(/Command$/, '')}`;
  // EventBridge names its bus inside each entry (EventBusName), and every call this code makes is a PutEvents.
  if (prefix === 'events') return [`${action} on event-bus`];
  if (!input) throw new Error(`${command.where}: cannot read the input of this ${command.name} to tell which resources it names`);
  const names = propertyNames(checker, input);
  const kinds = new Set<ResourceKind>();
  for (const [field, kind] of Object.entries(RESOURCE_FIELDS)) if (names.has(field)) kinds.add(kind);
  // SES v2: a templated send names its template inside Content.
  const content = names.get('Content');
  if (content && ts.isPropertyAssignment(content)) {
    const inner = objectLiteralOf(checker, content.initializer);
    if (inner && propertyNames(checker, inner).has('Template')) kinds.add('template');
  }
  if (!kinds.size) throw new Error(`${command.where}: ${command.name} names no resource this analysis knows (add its field to RESOURCE_FIELDS)`);
  return [...kinds].map((kind) => `${action} on ${kind}` as CodeCall);
}

/** Kinds of transaction items built in reachable code: object literals keyed Put/Update/... whose value names a TableName. */
function transactionItemsIn(checker: ts.TypeChecker, literals: ts.ObjectLiteralExpression[]): Set<string> {
  const actions = new Set<string>();
  for (const literal of literals) {
    for (const [name, node] of propertyNames(checker, literal)) {
      const action = TRANSACTION_ITEMS[name];
      if (!action || !ts.isPropertyAssignment(node)) continue;
      const item = objectLiteralOf(checker, node.initializer);
      if (item && propertyNames(checker, item).has('TableName')) actions.add(action);
    }
  }
  return actions;
}

export interface HandlerCalls {
  calls: Set<CodeCall>;
  /** Where each call comes from (file:line of the command), for messages. */
  origins: Map<CodeCall, string[]>;
}

/** The IAM calls each handler (a file of functions/handlers) can make, by handler name. */
export function awsCallsOf(handlers: readonly string[]): Map<string, HandlerCalls> {
  const files = handlers.map((handler) => path.join(PROJECT_ROOT, 'functions', 'handlers', `${handler}.ts`));
  const program = loadProgram(files);
  const checker = program.getTypeChecker();
  const result = new Map<string, HandlerCalls>();
  handlers.forEach((handler, index) => {
    const entry = program.getSourceFile(files[index]!);
    if (!entry) throw new Error(`no source file for handler ${handler}`);
    const reach = new Reachability(checker).run(entry);
    let items: Set<string> | undefined;
    const calls = new Set<CodeCall>();
    const origins = new Map<CodeCall, string[]>();
    for (const command of reach.commands) {
      for (const call of callsOf(checker, command, () => (items ??= transactionItemsIn(checker, reach.literals)))) {
        calls.add(call);
        origins.set(call, [...(origins.get(call) ?? []), command.where]);
      }
    }
    result.set(handler, { calls, origins });
  });
  return result;
}
