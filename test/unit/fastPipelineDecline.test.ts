import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import { buildSchema, getOperationAST, parse } from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import { CompiledOperations, createFastPipeline } from '../../src/server/fastPipeline';
import type { RequestContext } from '../../src/graph';

/**
 * The fast pipeline runs three plugin hooks; a listener with any other hook must send the request to
 * Apollo, whether the hook is an object's property or a class's method (a for-in over the listener
 * would miss the latter). A real schema and a real compiled query; the plugins are the variable.
 */
const schema = buildSchema('type Query { hello: String }');
const rootValue = { hello: 'world' };
const query = '{ hello }';
const document = parse(query);
const compiledQuery = compileQuery(schema, document);
if (!isCompiledQuery(compiledQuery)) throw new Error('the test query does not compile');
// The pipeline passes no root value (the gateway's resolvers need none): the wrapper gives this schema its root.
const operations = new CompiledOperations();
operations.add(null, query, {
  document,
  operation: getOperationAST(document)!,
  operationName: null,
  queryHash: 'h',
  compiled: { ...compiledQuery, query: (_root: unknown, ctx: unknown, vars: unknown) => compiledQuery.query(rootValue, ctx, vars as never) } as typeof compiledQuery,
});

class ExecutionWatcher implements GraphQLRequestListener<RequestContext> {
  async executionDidStart() {}
}

const pipeline = (plugins: ApolloServerPlugin<RequestContext>[]) =>
  createFastPipeline({ schema, plugins, formatError: (f) => f, operations });
const context = () => ({}) as RequestContext;

test('plugins with only the hooks it runs: it answers, and calls them', async () => {
  const seen: string[] = [];
  const p = pipeline([
    {
      async requestDidStart() {
        return {
          async didResolveOperation() {
            seen.push('didResolveOperation');
          },
          async willSendResponse() {
            seen.push('willSendResponse');
          },
        };
      },
    },
  ]);
  const answer = await p.run({ query }, undefined, context);
  expect(answer && JSON.parse(answer.json)).toEqual({ data: { hello: 'world' } });
  expect(seen).toEqual(['didResolveOperation', 'willSendResponse']);
  expect(p.answered).toBe(1);
});

test.each([
  ['an object property', { executionDidStart: async () => undefined } as GraphQLRequestListener<RequestContext>],
  ['a class method', new ExecutionWatcher()],
  ['responseForOperation', { responseForOperation: async () => null } as GraphQLRequestListener<RequestContext>],
])('a listener with another hook (%s): declined, for Apollo', async (_, listener) => {
  const p = pipeline([{ requestDidStart: async () => listener }]);
  expect(await p.run({ query }, undefined, context)).toBeNull();
  expect(p.answered).toBe(0);
});

test('an unknown text, a non-object body, extensions: declined', async () => {
  const p = pipeline([]);
  expect(await p.run({ query: '{ hello hello }' }, undefined, context)).toBeNull();
  expect(await p.run('{ hello }', undefined, context)).toBeNull();
  expect(await p.run({ query, extensions: { persistedQuery: {} } }, undefined, context)).toBeNull();
  expect(await p.run({ query }, 'text/html', context)).toBeNull();
  expect(p.answered).toBe(0);
});
