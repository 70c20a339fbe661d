import { ApolloServer, type ApolloServerOptions, type BaseContext } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { defineIntegrationTestSuite } from '@apollo/server-integration-testsuite';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApolloHandler } from '../../src/server/nodeHttpApollo';

/**
 * Apollo's published integration test suite against datagate's node:http integration
 * (src/server/nodeHttpApollo.ts: reading the body, Apollo's request, writing its answer), as
 * PERFORMANCE-NOTES asks of an integration of our own.
 */
defineIntegrationTestSuite(
  async (config: ApolloServerOptions<BaseContext>, options) => {
    const httpServer = http.createServer();
    const server = new ApolloServer({ ...config, plugins: [...(config.plugins ?? []), ApolloServerPluginDrainHttpServer({ httpServer })] });
    await server.start();
    httpServer.on('request', createApolloHandler(server, { context: options?.context ?? (async () => ({})) }));
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    const { port } = httpServer.address() as AddressInfo;
    return { server, url: `http://127.0.0.1:${port}/` };
  },
  { serverIsStartedInBackground: false },
);
