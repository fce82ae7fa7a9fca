export const handler = async () => 'ESM by its package.json';
