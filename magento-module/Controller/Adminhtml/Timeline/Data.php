<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Controller\Adminhtml\Timeline;

use Cronkeeper\Scheduler\Api\ServiceClientInterface;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\GraphQlException;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\ServiceUnavailableException;
use Cronkeeper\Scheduler\Model\GraphQl\Queries;
use Cronkeeper\Scheduler\Model\Timeline\TimelineRequest;
use Magento\Backend\App\Action;
use Magento\Backend\App\Action\Context;
use Magento\Framework\App\Action\HttpGetActionInterface;
use Magento\Framework\Controller\ResultFactory;

/**
 * The timeline component's data: GET from, to, jobCodes[] => Queries::TIMELINE, run with a token minted
 * for this admin (the JWT secret stays on the server). Answers in GraphQL's shape, {data} or {errors}
 * with `extensions.code`, so the component reads it like the service itself. Only this one query is
 * ever sent: the browser chooses the window and the jobs, not the operation.
 */
class Data extends Action implements HttpGetActionInterface
{
    public const ADMIN_RESOURCE = 'Cronkeeper_Scheduler::view';

    public function __construct(
        Context $context,
        private readonly ServiceClientInterface $client
    ) {
        parent::__construct($context);
    }

    public function execute()
    {
        /** @var \Magento\Framework\Controller\Result\Json $result */
        $result = $this->resultFactory->create(ResultFactory::TYPE_JSON);
        try {
            $variables = TimelineRequest::variables($this->getRequest()->getParams());
        } catch (\InvalidArgumentException $e) {
            return $result->setHttpResponseCode(400)->setData(self::error($e->getMessage(), 'BAD_USER_INPUT'));
        }
        try {
            return $result->setData(['data' => $this->client->execute(Queries::TIMELINE, $variables)]);
        } catch (ServiceUnavailableException $e) {
            return $result->setHttpResponseCode(503)->setData(self::error($e->getMessage(), 'SERVICE_UNAVAILABLE'));
        } catch (GraphQlException $e) {
            return $result->setData(self::error($e->getMessage(), $e->getErrorCode()));
        }
    }

    /**
     * @return array{errors: list<array{message: string, extensions: array{code: string|null}}>}
     */
    private static function error(string $message, ?string $code): array
    {
        return ['errors' => [['message' => $message, 'extensions' => ['code' => $code]]]];
    }
}
