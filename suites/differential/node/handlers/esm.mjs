export const handler = async (event) => ({ esm: true, event });
export default async () => 'the default export';
