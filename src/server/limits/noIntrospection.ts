import { GraphQLError, type ValidationRule } from 'graphql';

/**
 * Production mode, for a role set without the right to introspect (server.introspection): `__schema`
 * and `__type` are refused; `__typename` stays, clients need it. Apollo's own rule would tell the
 * client how to turn introspection on in Apollo Server.
 */
export const NoIntrospection: ValidationRule = (context) => ({
  Field(node) {
    if (node.name.value === '__schema' || node.name.value === '__type')
      context.reportError(new GraphQLError('introspection is not allowed for your role on this gateway (server.introspection names the roles that may)', { nodes: [node] }));
  },
});
