export const handler = async () => {{ 'never';
